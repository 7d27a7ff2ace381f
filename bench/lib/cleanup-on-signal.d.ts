import type { SpawnSyncReturns } from 'node:child_process';

export declare const SIGNAL_EXIT: { SIGINT: number; SIGTERM: number };
export interface SignalTarget {
  on(signal: string, handler: () => void): unknown;
  exit(status: number): void;
}
export declare function cleanupOnSignal(cleanup: () => void, log?: (line: string) => void, proc?: SignalTarget): () => void;
export declare function signalsDelivered(): Promise<void>;
export declare function interruptedChild(result: Pick<SpawnSyncReturns<string>, 'signal' | 'status'>): 'SIGINT' | 'SIGTERM' | undefined;
export declare function bringDown(command: string, argv: readonly string[], log?: (line: string) => void): boolean;

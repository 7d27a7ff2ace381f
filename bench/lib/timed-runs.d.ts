export interface BenchRow {
  hosts: number;
  runs: number;
  times: Record<string, number[]>;
  paired: Record<string, number[]>;
  unquiet: number;
}
export interface TimedRun {
  s: number;
  quiet: boolean;
}
export declare function newRow(hosts: number, runs: number, keys: readonly string[]): BenchRow;
export declare function noteQuiet(row: BenchRow, run: TimedRun): void;
export declare function recordTimed(row: BenchRow, key: string, run: TimedRun, floorSeconds: number | undefined): void;

export type FlagKind = 'switch' | 'value';
export declare const BENCH_FLAGS: Record<string, Record<string, FlagKind>>;
export declare function acceptedFlags(spec: Record<string, FlagKind>): string;
export declare function parseBenchFlags(argv: readonly string[], spec: Record<string, FlagKind>): Map<string, string | true>;
export declare function benchFlagsOrExit(benchmark: string, argv: readonly string[]): Map<string, string | true>;

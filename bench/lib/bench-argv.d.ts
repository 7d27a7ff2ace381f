export declare const VALUE_FLAGS: string[];
export declare const OPTIONAL_VALUE_FLAGS: string[];
export declare function splitBenchArgv(argv: readonly string[], benchmarks: readonly string[]): { names: string[]; flags: string[] };
export declare function selectBenchmarks(argv: readonly string[], benchmarks: readonly string[]): { wanted: string[]; flags: string[] };

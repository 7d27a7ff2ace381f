export declare const BENCH_LAB_MARKER: string;
export type BenchLabChoice = { action: 'fresh' } | { action: 'reuse' | 'replace'; hosts: number } | { action: 'refuse'; reason: string };
export declare function benchLabChoice(seen: { dir: string; maxHosts: number; labJson?: string; marker?: string; topology?: string }): BenchLabChoice;

export declare function repetitionsFlag(flags: ReadonlyMap<string, string | true>, name: string, fallback: number): number;

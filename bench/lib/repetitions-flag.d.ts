export declare function repetitionsFlag(args: readonly string[], name: string, fallback: number): number;

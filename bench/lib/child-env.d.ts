export declare function benchChildEnv(parent: Record<string, string | undefined>, extra?: Record<string, string>): Record<string, string>;

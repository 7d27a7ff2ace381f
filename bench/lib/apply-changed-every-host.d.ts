export declare function assertChangedEveryHost(stdout: string, hosts: number, what: string): void;

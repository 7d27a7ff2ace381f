export declare function assertChangedEveryHost(stdout: string, hosts: number, changesPerHost: number, what: string): void;
export declare function assertNoChange(stdout: string, hosts: number, what: string): void;

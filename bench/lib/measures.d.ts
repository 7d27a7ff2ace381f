export declare const MEASURES: Array<[string, string]>;

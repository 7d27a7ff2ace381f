export type FreshKey = 'planFresh' | 'noChangeFresh';
export declare function freshPairOrder(i: number): [FreshKey, FreshKey];
export declare function freshPairCount(runs: number): number;

/** A sub-grid's name across the grid, `region/sub-grid`: the key overlay records, rollouts and the state use. */
export const subgridKey = (node: { region: string; subgrid: string }): string => `${node.region}/${node.subgrid}`;

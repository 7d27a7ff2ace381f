import { RawTopology } from './schema.js';

/** The published JSON Schema (draft 2020-12 compatible), as committed in schema/topology.schema.json. */
export function topologyJsonSchema(): object {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://gridops.dev/schema/topology.schema.json',
    title: 'gridops topology (gridops/v1)',
    ...JSON.parse(JSON.stringify(RawTopology)),
  };
}

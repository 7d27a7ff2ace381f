import { RawTopology } from './schema.js';

/** The published JSON Schema (draft-07, which the YAML language server and ajv read natively), as committed in schema/topology.schema.json. */
export function topologyJsonSchema(): object {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://gridops.dev/schema/topology.schema.json',
    title: 'gridops topology (gridops/v1)',
    ...JSON.parse(JSON.stringify(RawTopology)),
  };
}

import { GridopsCommand } from '../base-command.js';
import { topologyJsonSchema } from '../topology/json-schema.js';

export default class Schema extends GridopsCommand<object> {
  static override summary = 'Print the JSON Schema of the topology format';
  static override description = 'Point the YAML language server at it for completion and checks: # yaml-language-server: $schema=./schema/topology.schema.json';

  async run(): Promise<object> {
    await this.parse(Schema);
    const schema = topologyJsonSchema();
    if (!this.jsonEnabled()) process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    return schema;
  }
}

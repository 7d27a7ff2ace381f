import { Flags } from '@oclif/core';
import { GridopsCommand } from '../base-command.js';
import { playbookJsonSchema } from '../playbooks/schema.js';
import { topologyJsonSchema } from '../topology/json-schema.js';

export default class Schema extends GridopsCommand<object> {
  static override summary = 'Print the JSON Schema of the topology format (or of playbooks)';
  static override description = 'Point the YAML language server at it for completion and checks: # yaml-language-server: $schema=./schema/topology.schema.json';
  static override flags = { playbook: Flags.boolean({ description: 'the playbook format instead (schema/playbook.schema.json)', default: false }) };

  async run(): Promise<object> {
    const { flags } = await this.parse(Schema);
    const schema = flags.playbook ? playbookJsonSchema() : topologyJsonSchema();
    if (!this.jsonEnabled()) process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    return schema;
  }
}

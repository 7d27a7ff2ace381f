import { InputFileError } from '../../src/errors/index.js';
import { ansibleInventory } from '../../src/inventory/ansible-inventory.js';
import { gridWithLabels } from '../resources/fixtures.js';

/** Each label is the host variable label_KEY, KEY kept to the characters Ansible takes in names. */
describe('labels as Ansible host variables', () => {
  it('gives each label its own variable', () => {
    expect(ansibleInventory(gridWithLabels({ 'example.org/rack': 'a', zone: 'b' })).hostVars.n1).toMatchObject({ label_example_org_rack: 'a', label_zone: 'b' });
  });

  // One would silently overwrite the other: a playbook would read one of two values, unsaid which.
  it('refuses two labels of a node that would be the same variable, naming both', () => {
    const build = () => ansibleInventory(gridWithLabels({ 'example.org/rack': 'a', 'example.org.rack': 'b' }));
    expect(build).toThrow(InputFileError);
    expect(build).toThrow('labels example.org/rack and example.org.rack of node n1 would both be the Ansible variable label_example_org_rack');
  });
});

import { MEASURES } from '../../bench/lib/measures.js';

/** The printed labels say what each row measures, including what was warmed before it. */
describe('provision bench labels', () => {
  const label = (key: string) => MEASURES.find(([k]) => k === key)?.[1];

  it('the kept rows say their SFTP sessions were readied between runs', () => {
    for (const key of ['noChangeKept', 'planKept', 'firstAfterPlan']) expect(label(key)).toContain('kept connections, SFTP sessions readied between runs');
  });

  it('the first-run rows say the topology was validated before', () => {
    for (const key of ['first', 'firstAfterPlan', 'firstFresh']) expect(label(key)).toContain('topology validated before');
  });
});

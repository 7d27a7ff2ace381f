import Apply from '../../src/commands/apply.js';
import { connectionFlags } from '../../src/cli-flags.js';

describe('flag help names every form the flag takes', () => {
  it('--limit: label:KEY as well as label:KEY=VALUE', () => {
    expect(connectionFlags.limit.description).toContain('label:KEY=VALUE or label:KEY');
  });

  it("apply --site: a sub-grid's own name as well as REGION and REGION/SUBGRID", () => {
    expect(Apply.flags.site.description).toContain("REGION, REGION/SUBGRID or a sub-grid's own name");
  });
});

import { SysctlResource, legacySysctlFile, sysctlFile } from '../../src/resources/sysctl.js';
import { node } from './fixtures.js';

const S = '@@gridops-probe-section@@\n';
const file = (text: string) => `regular file|644|root|root|${text.length}\n${Buffer.from(text).toString('base64')}\n`;
const content = '# managed by gridops\nvm.swappiness = 10\n';
/** A sysctl never reads facts (ignoresFacts). */
const ctx = { node: node(), facts: undefined as never };

describe('sysctl: the sysctl.d file sorts after 99-sysctl.conf (Debian\'s link to /etc/sysctl.conf), whose values win at boot otherwise', () => {
  it('is 99-zz-gridops-KEY.conf', () => {
    expect(sysctlFile('vm.swappiness')).toBe('/etc/sysctl.d/99-zz-gridops-vm.swappiness.conf');
    expect(sysctlFile('vm.swappiness') > '/etc/sysctl.d/99-sysctl.conf').toBe(true);
  });

  it('a host an older gridops set up (90-gridops-KEY.conf): the plan writes the new file and removes the old one; once done, nothing', () => {
    const r = new SysctlResource('vm.swappiness', 10);
    const before = r.diff(`10\n${S}absent\n${S}present\n`, ctx)!;
    expect(before.steps).toEqual(['persist', 'remove-legacy']);
    expect(before.fields).toContainEqual({ name: legacySysctlFile('vm.swappiness'), before: 'present', after: null });
    expect(r.diff(`10\n${S}${file(content)}${S}`, ctx)).toBeNull();
  });

  it('the old file alone left (the new one already written): its removal is the whole change', () => {
    const change = new SysctlResource('vm.swappiness', 10).diff(`10\n${S}${file(content)}${S}present\n`, ctx)!;
    expect(change.steps).toEqual(['remove-legacy']);
    expect(change.summary).toBe("move vm.swappiness's sysctl.d file to /etc/sysctl.d/99-zz-gridops-vm.swappiness.conf (after 99-sysctl.conf)");
  });
});

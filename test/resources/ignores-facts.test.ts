import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentOnlyFacts, hasAllFacts } from '../../src/facts/host-facts.js';
import { facts } from './fixtures.js';

describe('ignoresFacts', () => {
  const dir = join(process.cwd(), 'src/resources');
  const sources = readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => ({ file: f, text: readFileSync(join(dir, f), 'utf8') }));

  it('is set only by resources whose file never mentions facts (the planner would then gather the agent\'s version alone)', () => {
    const claiming = sources.filter((s) => /ignoresFacts = true/.test(s.text));
    expect(claiming.map((s) => s.file).sort()).toEqual(['absent-libvirt.ts', 'absent-paths.ts', 'command.ts', 'directory.ts', 'file.ts', 'line.ts', 'sysctl.ts', 'systemd-unit.ts']);
    for (const s of claiming) expect({ file: s.file, mentions: /\bfacts\b|HostFacts/.test(s.text) }).toEqual({ file: s.file, mentions: false });
  });
});

describe('agentOnlyFacts', () => {
  it("holds the agent's version, and refuses every other fact loudly instead of making one up", () => {
    const f = agentOnlyFacts('1.2.3');
    expect(f.agentVersion).toBe('1.2.3');
    expect(() => f.cpu).toThrow(/the cpu fact was read, but only the agent's version was gathered/);
    expect(() => f.network).toThrow(/network/);
    expect(JSON.parse(JSON.stringify(f))).toEqual({ agentVersion: '1.2.3' });
    expect(hasAllFacts(f)).toBe(false);
    expect(hasAllFacts(facts())).toBe(true);
  });
});

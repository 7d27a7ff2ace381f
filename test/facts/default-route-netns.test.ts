import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { FACTS_SCRIPT, parseFacts } from '../../src/facts/gather.js';
import { uplinkDevice } from '../../src/facts/uplink.js';

/**
 * The facts script's default route, read in a network namespace of the test's own (`unshare -n`,
 * which ends with the shell) with a PATH that holds no program, as on a node. Only root may make
 * the namespace, so as anyone else these are skipped.
 */
const asRoot = process.getuid?.() === 0;
(asRoot ? describe : describe.skip)('the default route in a network namespace (as root: unshare -n)', () => {
  let empty: string;
  beforeEach(() => (empty = mkdtempSync(`${tmpdir()}/gridops-empty-path-`)));
  afterEach(() => rmSync(empty, { recursive: true, force: true }));

  /** The facts of a namespace set up by `setup` (ip commands, one a line). */
  const factsAfter = (setup: string) =>
    parseFacts(
      execFileSync('unshare', ['-n', 'sh', '-c', `ip -batch - <<'EOF'\n${setup}\nEOF\nexec env PATH=${empty} /bin/sh -c "$1"`, 'sh', FACTS_SCRIPT], { encoding: 'utf8' }),
    );

  const veth = 'link set lo up\nlink add up0 type veth peer name up1\nlink set up0 up\nlink set up1 up\naddr add 10.78.0.9/24 dev up0\naddr add 2001:db8:78::9/64 dev up0 nodad';

  it('an IPv4 `unreachable default` (device `*`) is no uplink: the IPv6 default route names it', () => {
    const facts = factsAfter(`${veth}\nroute add unreachable default\nroute add default via 2001:db8:78::1 dev up0`);
    expect(facts.network.defaultRouteDevice).toBe('up0');
    expect(uplinkDevice(facts, '10.78.0.9')).toBe('up0');
  });

  it('with nothing but rejecting routes, the uplink is the device that holds the node\'s address, not a rejecting route\'s `*` around it', () => {
    const facts = factsAfter(`${veth}\nroute add unreachable default\nroute add prohibit default metric 2000\nroute add unreachable 10.78.0.0/25`);
    expect(facts.network.defaultRouteDevice).toBeNull();
    expect(uplinkDevice(facts, '10.78.0.9')).toBe('up0');
  });
});

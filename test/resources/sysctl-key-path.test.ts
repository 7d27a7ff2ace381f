import { SysctlResource } from '../../src/resources/sysctl.js';
import { quote } from '../../src/transport/quote.js';

/** The /proc/sys file the probe of `key` reads. */
const probedPath = (key: string) => /cat (\S+) 2>/.exec(new SysctlResource(key, 1).probe())![1];

describe('sysctl: the /proc/sys file of a key, by procps rule (the first separator decides the form)', () => {
  it.each([
    ['net.ipv4.ip_forward', '/proc/sys/net/ipv4/ip_forward'],
    // Slash form: used as it is, so an interface name with a dot (a VLAN) keeps it.
    ['net/ipv4/conf/eth0.100/forwarding', '/proc/sys/net/ipv4/conf/eth0.100/forwarding'],
    // Dotted form: dots and slashes swap, as `sysctl net.ipv4.conf.eth0/100.forwarding` reads it.
    ['net.ipv4.conf.eth0/100.forwarding', '/proc/sys/net/ipv4/conf/eth0.100/forwarding'],
  ])('%s reads %s', (key, path) => {
    expect(probedPath(key)).toBe(quote(path));
  });
});

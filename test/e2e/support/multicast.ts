/**
 * Multicast between lab nodes. Nodes are minimal (no python, no socat), so the probe runs the
 * machine's own node binary inside the node's network namespace: the same interface, routes and
 * bridge the node's own processes use.
 */
import { execa } from 'execa';

const PROBE = `
const dgram = require('node:dgram');
const [mode, group, port, addr, count] = process.argv.slice(1);
if (mode === 'recv') {
  const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
  s.on('message', (m, r) => { process.stdout.write(r.address + ' ' + m + '\\n'); process.exit(0); });
  s.bind(Number(port), () => { s.addMembership(group, addr); process.stdout.write('listening\\n'); });
  setTimeout(() => process.exit(3), 5000);
} else {
  const s = dgram.createSocket('udp4');
  s.bind(0, addr, () => {
    s.setMulticastInterface(addr);
    let i = 0;
    const t = setInterval(() => { s.send('hello-' + i++, Number(port), group); if (i >= Number(count)) { clearInterval(t); s.close(); } }, 100);
  });
}`;

/** Sends from `from` to a group; returns what each receiver got (empty string when nothing arrived). */
export async function multicastProbe(from: { netns: string; address: string }, to: { netns: string; address: string }[], group: string, port: number): Promise<string[]> {
  const receivers = to.map((t) => {
    const child = execa('nsenter', [`--net=/run/netns/${t.netns}`, process.execPath, '-e', PROBE, 'recv', group, String(port), t.address], { reject: false });
    const listening = new Promise<void>((resolve) => child.stdout?.on('data', (d: Buffer) => d.toString().includes('listening') && resolve()));
    return { child, listening };
  });
  await Promise.race([Promise.all(receivers.map((r) => r.listening)), new Promise((r) => setTimeout(r, 3000))]);
  await execa('nsenter', [`--net=/run/netns/${from.netns}`, process.execPath, '-e', PROBE, 'send', group, String(port), from.address, '20']);
  const results = await Promise.all(receivers.map((r) => r.child));
  return results.map((r) => r.stdout.split('\n').filter((l) => l && l !== 'listening').join('\n'));
}

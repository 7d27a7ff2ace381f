import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockHeldError } from '../../src/errors/index.js';
import { sameProcessSpace, thisProcessAsHolder } from '../../src/fs/lock-holder.js';
import { StateLock } from '../../src/state/lock.js';

/**
 * Two machines with the same host name (cloned VMs, `localhost` everywhere) share a state on a
 * network file system: each one's initial PID namespace has the same inode, so host name and
 * namespace cannot tell them apart. The machine id (/etc/machine-id) can.
 */
describe('a lock held on another machine with the same host name', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridops-lock-machine-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is another process space where both recorded a machine id that differs; one without a machine id is judged as before', () => {
    const me = { pid: 10, host: 'box', pidns: 'pid:[4026531836]', machine: 'aaaa' };
    expect(sameProcessSpace({ ...me, pid: 20, machine: 'bbbb' }, me)).toBe(false);
    expect(sameProcessSpace({ ...me, pid: 20 }, me)).toBe(true);
    expect(sameProcessSpace({ ...me, pid: 20, machine: 'aaaa' }, me)).toBe(true);
    expect(sameProcessSpace({ ...me, pid: 20, machine: 'bbbb' }, { ...me, machine: undefined })).toBe(true);
  });

  it('a lock written before the id was hashed (the raw 32-hex id) is judged by the same id hashed', () => {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    const me = thisProcessAsHolder();
    expect(sameProcessSpace({ ...me, pid: 20, machine: id }, me)).toBe(true);
    expect(sameProcessSpace({ ...me, pid: 20, machine: '0123456789abcdef0123456789abcdef' }, me)).toBe(false);
  });

  it("this process's holder records the machine id, hashed (machine-id(5): the id itself is confidential)", () => {
    const id = readFileSync('/etc/machine-id', 'utf8').trim();
    expect(thisProcessAsHolder().machine).toBe(createHash('sha256').update(`gridops-lock\0${id}`).digest('hex'));
    expect(JSON.stringify(thisProcessAsHolder())).not.toContain(id);
  });

  it('is refused, never taken over, though its pid does not run here; the refusal says it is another machine', async () => {
    const file = join(dir, 'g.lock');
    const deadHere = spawnSync('true').pid;
    const theirs = `${JSON.stringify({ pid: deadHere, host: hostname(), pidns: readlinkSync('/proc/self/ns/pid'), machine: '0123456789abcdef0123456789abcdef', startedAt: new Date().toISOString(), command: 'gridops apply grid.yaml' })}\n`;
    writeFileSync(file, theirs);
    const refused = StateLock.acquire(file, 'gridops apply grid.yaml');
    await expect(refused).rejects.toBeInstanceOf(LockHeldError);
    await expect(refused).rejects.toThrow(`the state is locked by process ${deadHere} on ${hostname()}, another machine with the same host name (gridops apply grid.yaml`);
    await expect(refused.catch((e: LockHeldError) => e.hint)).resolves.toBe(`if that run is certainly gone, remove ${file}`);
    expect(readFileSync(file, 'utf8')).toBe(theirs);
  });
});

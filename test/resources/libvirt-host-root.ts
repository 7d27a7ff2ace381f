import { afterEach, beforeEach } from '@jest/globals';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A libvirt probe or playbook command run as though the host's root were a test's own directory:
 * where it looks for libvirt's daemons (/usr/sbin) and its persistent definitions (/etc/libvirt),
 * so that a test decides which are there, whatever this machine has installed.
 */
export function underRoot(script: string, root: string): string {
  return script.replaceAll('/usr/sbin/', `${root}/usr/sbin/`).replaceAll('/etc/libvirt/', `${root}/etc/libvirt/`);
}

/** A test file's fake libvirt host: `bin`, put first on PATH for fake commands, and `root`, the host's root for underRoot. */
export interface FakeLibvirtHost {
  readonly bin: string;
  readonly root: string;
  /** An executable `name` in `bin` that runs this shell body with its arguments in "$@". */
  fake(name: string, body: string): void;
}

/** Both directories made anew before each test of the file and removed after it. */
export function fakeLibvirtHost(): FakeLibvirtHost {
  let bin = '';
  let root = '';
  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'gridops-fake-virsh-'));
    root = mkdtempSync(join(tmpdir(), 'gridops-host-root-'));
  });
  afterEach(() => {
    rmSync(bin, { recursive: true, force: true });
    rmSync(root, { recursive: true, force: true });
  });
  return {
    get bin() {
      return bin;
    },
    get root() {
      return root;
    },
    fake(name: string, body: string) {
      writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
      chmodSync(join(bin, name), 0o755);
    },
  };
}

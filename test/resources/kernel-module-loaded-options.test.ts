import { execSync } from 'node:child_process';
import { KernelModuleResource } from '../../src/resources/kernel-module.js';
import { probeSections } from '../../src/resources/probe-sections.js';
import { quote } from '../../src/transport/quote.js';
import { facts, node } from './fixtures.js';

const probeOutput = (...parts: string[]) => execSync(probeSections(...parts.map((p) => `printf %s ${quote(p)}`)), { shell: '/bin/sh' }).toString();
const file = (text: string) => `regular file|644|root|root|${text.length}\n${Buffer.from(text).toString('base64')}\n`;
const ctx = { node: node(), facts: facts() };

describe('kernel-module: new options for a module loaded now', () => {
  const persisted = file('# managed by gridops\nkvm_intel\n');

  it('the plan says the loaded module keeps its old values until it is loaded again', () => {
    const change = new KernelModuleResource('kvm_intel', { nested: 1 }).diff(probeOutput('loaded\n', persisted, file('# managed by gridops\noptions kvm_intel nested=0\n')), ctx)!;
    expect(change.steps).toEqual(['options']);
    expect(change.summary).toBe('configure module kvm_intel (loaded now: its options change when it is next loaded, at the next boot or after modprobe -r)');
  });

  it('a module gridops loads in the same change gets them on its modprobe line: no such note', () => {
    const change = new KernelModuleResource('kvm_intel', { nested: 1 }).diff(probeOutput('not-loaded\n', persisted, 'absent\n'), ctx)!;
    expect(change.summary).toBe('load module kvm_intel');
  });

  it('a loaded module whose only change is its modules-load.d file: no note', () => {
    const change = new KernelModuleResource('kvm_intel').diff(probeOutput('loaded\n', 'absent\n', 'absent\n'), ctx)!;
    expect(change.summary).toBe('configure module kvm_intel');
  });
});

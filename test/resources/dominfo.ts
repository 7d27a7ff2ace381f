/**
 * The sandbox domain probe's first section: `virsh dominfo`'s lines for a VM in `state` (as libvirt
 * 9.0 prints them), or the probe's own word where there is no domain to tell of (`absent`,
 * `no-libvirt`, `unknown (...)`). `autostart` may carry further lines (`enable\nManaged save:   yes`).
 */
export function dominfo(state: string, autostart = 'enable'): string {
  if (state === 'absent' || state === 'no-libvirt' || state.startsWith('unknown (')) return `${state}\n`;
  return ['Id:             1', 'Name:           gridops-sandbox', 'UUID:           857d1ba0-43ff-5889-b9c0-935008ae7ffd', 'OS Type:        hvm', `State:          ${state}`, 'CPU(s):         1', 'Max memory:     131072 KiB', 'Used memory:    131072 KiB', 'Persistent:     yes', `Autostart:      ${autostart}`, 'Security model: none', 'Security DOI:   0', ''].join('\n');
}

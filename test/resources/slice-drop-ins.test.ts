import { SystemdUnitResource } from '../../src/resources/systemd-unit.js';

const S = '@@gridops-probe-section@@\n';
const content = '[Slice]\nCPUQuota=100%\nMemoryMax=512M\n';
const fileAs = (text: string) => `regular file|644|root|root|${Buffer.byteLength(text)}\n${Buffer.from(text).toString('base64')}\n`;
const slice = () => new SystemdUnitResource({ unit: 'grid.slice', content, enabled: true, started: true });
/** grid.slice as gridops wrote it, enabled; `show`: `systemctl show` of it and of -.mount, in systemd's property order (the unit's ActiveState, active, first). */
const probed = (show: string, file = fileAs(content)) => `${file}${S}enabled\n${S}ActiveState=active\n${show}\n`;
const SET_PROPERTY = '/etc/systemd/system.control/grid.slice.d/50-MemoryMax.conf';

describe("grid.slice: a drop-in that overrides gridops' limits (systemctl set-property, an operator's grid.slice.d) is said in the plan, never deleted", () => {
  it('asks for the drop-ins in the systemctl show the probe already runs (no exec more); other units do not', () => {
    expect(slice().probe()).toContain('systemctl show -p ActiveState -p NeedDaemonReload -p DropInPaths -- grid.slice -.mount');
    expect(new SystemdUnitResource({ unit: 'app.service', content }).probe()).toContain('systemctl show -p ActiveState -p NeedDaemonReload -- app.service -.mount');
  });

  it('nothing else to change: a note naming the drop-in and what to do', () => {
    const note = slice().diff(probed(`DropInPaths=${SET_PROPERTY} /etc/systemd/system/grid.slice.d/cpu.conf\nNeedDaemonReload=no\n\nDropInPaths=\nNeedDaemonReload=no`))!;
    expect(note.action).toBe('none');
    expect(note.steps).toEqual([]);
    expect(note.summary).toBe(`grid.slice's limits are overridden by ${SET_PROPERTY}, /etc/systemd/system/grid.slice.d/cpu.conf (not gridops'; systemctl set-property writes such files): remove them and run systemctl daemon-reload for the topology's limits to hold`);
  });

  it('with a change of its own: the change says it too; a reload still read beside DropInPaths', () => {
    const change = slice().diff(probed(`DropInPaths=${SET_PROPERTY}\nNeedDaemonReload=yes\n\nDropInPaths=\nNeedDaemonReload=no`))!;
    expect(change.steps).toEqual(['daemon-reload']);
    expect(change.summary).toContain(`daemon-reload grid.slice; grid.slice's limits are overridden by ${SET_PROPERTY}`);
  });

  it("no drop-in, a vendor's, or gridops' own: nothing", () => {
    expect(slice().diff(probed('DropInPaths=\nNeedDaemonReload=no\n\nDropInPaths=\nNeedDaemonReload=no'))).toBeNull();
    expect(slice().diff(probed('DropInPaths=/usr/lib/systemd/system/slice.d/10-defaults.conf /etc/systemd/system/grid.slice.d/gridops-x.conf\nNeedDaemonReload=no\n\nNeedDaemonReload=no'))).toBeNull();
  });
});

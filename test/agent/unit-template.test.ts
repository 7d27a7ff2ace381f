import { readFileSync } from 'node:fs';

/** Issue 14: systemd's restart delay added about 1.1 s to every rejoin on the lab. */
test('the gridagent unit restarts the agent after 100 ms, not 1 s', () => {
  const unit = readFileSync(new URL('../../templates/gridagent/gridagent.service.hbs', import.meta.url), 'utf8');
  expect(unit).toMatch(/^Restart=always$/m);
  expect(unit.match(/^RestartSec=(.*)$/gm)).toEqual(['RestartSec=100ms']);
});

/** Issue 14: no false failover under CPU saturation; the agent is infrastructure and gets the CPU first. */
test('the gridagent unit runs the agent at a raised CPU priority', () => {
  const unit = readFileSync(new URL('../../templates/gridagent/gridagent.service.hbs', import.meta.url), 'utf8');
  expect(unit.match(/^Nice=(.*)$/gm)).toEqual(['Nice=-10']);
  expect(unit.match(/^CPUWeight=(.*)$/gm)).toEqual(['CPUWeight=1000']);
});

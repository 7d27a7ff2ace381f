import { leftStatus } from '../../src/agent/runtime/left-status.js';
import { renderStatusView } from '../../src/agent/runtime/status-view.js';

/**
 * Found on the lab: after `gridagent leave`, `gridagent status` on that node said "cannot reach the
 * agent ... is it running?" (exit 69) while the idle agent answered: the renderer read the role,
 * mirrors and members a node that left no longer has, and the TypeError passed for a failed request.
 */
const idle = leftStatus({ node: 'node-06', region: 'region-1', subgrid: 'subgrid-2' }, '2026-12-06T04:54:13.561Z', '0.1.0');

test('gridagent status on a node that left says it left, when, and how to come back', () => {
  const text = renderStatusView(idle, 'status', false);
  expect(text).toMatch(/^node +node-06 \(region-1\/subgrid-2\)$/m);
  expect(text).toMatch(/^left +the grid for good at 2026-12-06T04:54:13.561Z; the agent stays idle until it is stopped$/m);
  expect(text).toContain('gridagent rejoin');
});

test('gridagent members on a node that left lists no member, and says why', () => {
  expect(JSON.parse(renderStatusView(idle, 'members', true))).toEqual([]);
  expect(renderStatusView(idle, 'members', false)).toMatch(/^left +the grid for good/m);
});

test('gridagent status --json on a node that left prints what the agent answered', () => {
  expect(JSON.parse(renderStatusView(idle, 'status', true))).toEqual({ node: 'node-06', region: 'region-1', subgrid: 'subgrid-2', left: true, leftAt: '2026-12-06T04:54:13.561Z', rejoin: expect.stringContaining('gridagent rejoin'), version: '0.1.0' });
});

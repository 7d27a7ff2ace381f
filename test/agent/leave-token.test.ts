import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drawLeaveToken, leaveTokenMatches, leaveTokenPath, readLeaveToken, writeLeaveToken } from '../../src/agent/runtime/leave-token.js';

describe("the agent's leave token", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'gridagent-token-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is drawn anew at each start, beside the state file, readable by its owner only', () => {
    const path = leaveTokenPath(join(dir, 'n1.state.json'));
    expect(path).toBe(join(dir, 'n1.state.json.leave-token'));
    expect(readLeaveToken(path)).toBeUndefined();
    const draw = () => {
      const token = drawLeaveToken();
      writeLeaveToken(path, token);
      return token;
    };
    const first = draw();
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readLeaveToken(path)).toBe(first);
    const second = draw();
    expect(second).not.toBe(first);
    expect(readLeaveToken(path)).toBe(second);
  });

  it('matches only the exact token', () => {
    expect(leaveTokenMatches('abc', 'abc')).toBe(true);
    for (const other of ['ab', 'abcd', 'ABC', '', undefined, ['abc']]) expect(leaveTokenMatches(other, 'abc')).toBe(false);
  });
});

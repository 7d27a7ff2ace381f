import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkTopologyFile } from '../../src/topology/load.js';
import { rereadSource } from '../../src/topology/reread-source.js';
import { positionOf } from '../../src/topology/source.js';

/**
 * A topology is UTF-8 text. A byte order mark (editors on Windows write one) shifted every column
 * of line 1 by one; a byte that is not UTF-8 became U+FFFD and was checked as if the file said so.
 */
const dir = mkdtempSync(join(tmpdir(), 'gridops-encoding-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fileOf = (name: string, bytes: Buffer) => {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  return file;
};
const TOPOLOGY = `apiVersion: gridops/v2
kind: Grid
metadata: { name: g }
regions: []
`;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

describe('the bytes of a topology file', () => {
  it('a byte order mark does not shift the columns of line 1', async () => {
    const file = fileOf('bom.yaml', Buffer.concat([BOM, Buffer.from(TOPOLOGY)]));
    const { problems } = await checkTopologyFile(file);
    expect(problems.map((p) => `${p.line}:${p.column}: ${p.message}`)[0]).toBe('1:13: apiVersion must be "gridops/v1", not "gridops/v2"');
    // The positions of the checks made later, on the file read again, agree.
    expect(positionOf(rereadSource(file)!, ['apiVersion'])).toEqual({ line: 1, column: 13 });
  });

  it("a topology with a byte order mark has as sourceHash the sha256 of the file's bytes, BOM included, as gridops recorded it before (model.ts)", async () => {
    const bytes = Buffer.concat([BOM, readFileSync(join(process.cwd(), 'examples', 'small.yaml'))]);
    const { grid, problems } = await checkTopologyFile(fileOf('bom-valid.yaml', bytes));
    expect(problems).toEqual([]);
    expect(grid!.sourceHash).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('a byte that is not UTF-8 is a problem at its line and column, saying to save the file as UTF-8', async () => {
    const latin1 = Buffer.from(TOPOLOGY.replace('name: g', 'name: "gé"').replace('v2', 'v1'), 'latin1');
    const { problems, grid } = await checkTopologyFile(fileOf('latin1.yaml', latin1));
    expect(grid).toBeUndefined();
    expect(problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual(['3:21: the file is not UTF-8 text: byte 0xe9 here does not begin a valid UTF-8 character']);
    expect(problems[0]!.hint).toMatch(/save the file as UTF-8/);
  });

  it('a character cut short before a later line is found where it starts', async () => {
    const text = Buffer.from('apiVersion: gridops/v1\n# caf');
    const { problems } = await checkTopologyFile(fileOf('cut.yaml', Buffer.concat([text, Buffer.from([0xc3]), Buffer.from('\nkind: Grid\n')])));
    expect(problems.map((p) => `${p.line}:${p.column}`)).toEqual(['2:6']);
  });
});

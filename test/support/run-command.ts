import { jest } from '@jest/globals';

const root = new URL('../../', import.meta.url).pathname;

/** `gridops COMMAND ...argv` in this process (the command's class from src/): its exit code and what it wrote to stderr. */
export async function runCommand(command: { run(argv: string[], root: string): Promise<unknown> }, ...argv: string[]): Promise<{ exit: number; stderr: string }> {
  const err: string[] = [];
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    await command.run(argv, root);
    return { exit: 0, stderr: err.join('') };
  } catch (e) {
    const exit = (e as { oclif?: { exit?: number } }).oclif?.exit;
    if (exit === undefined) throw e;
    return { exit, stderr: err.join('') };
  } finally {
    write.mockRestore();
  }
}

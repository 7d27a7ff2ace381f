import { printableJson } from '../text/printable-json.js';

/**
 * A JSON pointer, as TypeBox's errors give it (`/hosts/0/changes/1/id`), written as the field reads
 * in JavaScript and in every gridops message (Problem.path): `hosts[0].changes[1].id`. A key that is
 * no identifier (a playbook ref, `node-base`, `./web.yaml`) is quoted, `kernelEntries["node-base"]`,
 * so the path still says where one key ends. '' for the pointer to the whole document.
 * It lives with gridagent, whose state-file check uses it too: the agent is bundled alone and
 * imports nothing of the CLI, while the CLI's checks may import it from here.
 */
export function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^\d+$/.test(part) ? `[${part}]` : /^[A-Za-z_$][\w$]*$/.test(part) ? `.${part}` : `[${printableJson(part)}]`))
    .join('')
    .replace(/^\./, '');
}

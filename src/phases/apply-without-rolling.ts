import { namedFew } from '../named-few.js';

/**
 * How to repair hosts of a rolling run whose changes are still planned and whose agents may not
 * answer: `--rolling` refuses to start without a converged overlay, so running it again refuses
 * again, while the changes that would bring those agents back wait in it. A plain apply of those
 * hosts alone applies them; the rolling run then starts from a converged overlay.
 */
export function applyWithoutRollingFirst(nodes: readonly string[]): string {
  return `apply ${namedFew(nodes)} without --rolling first (\`gridops apply FILE --limit ${nodes.join(',')}\`), then run the rolling apply again`;
}

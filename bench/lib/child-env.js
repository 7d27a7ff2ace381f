/**
 * Inherited variables that would change what the bench measures, dropped from its children's
 * environment: GRIDOPS_PERSIST makes every gridops run a --persist one (a "fresh" row would measure
 * kept connections), GRIDOPS_CACHE_DIR and GRIDOPS_KEEPER_DIR move the validated-topology cache and
 * the keeper (the bench sets the keeper's directory itself), and any other GRIDOPS_ setting is the
 * user's, not the bench's; SSH_AUTH_SOCK has ssh and gridops offer an agent's keys before the lab's
 * key file; ANSIBLE_ settings (callbacks, config) change Ansible's run (the bench sets its own);
 * NODE_OPTIONS changes every node process timed.
 */
const DROPPED = [/^GRIDOPS_/, /^ANSIBLE_/, /^SSH_AUTH_SOCK$/, /^NODE_OPTIONS$/];

/** The environment of a process the bench starts: `parent` without DROPPED, colour off, then `extra` (what the bench sets on purpose). */
export function benchChildEnv(parent, extra = {}) {
  const kept = Object.entries(parent).filter(([key, value]) => value !== undefined && !DROPPED.some((re) => re.test(key)));
  return { ...Object.fromEntries(kept), NO_COLOR: '1', ...extra };
}

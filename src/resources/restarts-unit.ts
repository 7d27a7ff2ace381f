/**
 * Whether a handler's command restarts `unit` (`systemctl restart gridagent`, `systemctl
 * try-restart gridagent.service`, reload-or-restart): the unit entry that notifies such a handler
 * leaves its own restart to it, so that a unit file and a file the handler is also notified for
 * (gridagent's unit and bundle in one upgrade) restart the unit once. A handler that does anything
 * else (reloads another service) is no restart of this unit, and the entry restarts it itself.
 * `orStop` also counts `systemctl stop`: the rolling checks ask whether a run takes the running
 * agent down at all, and a stop does so as much as a restart.
 */
export function restartsUnit(command: string, unit: string, options: { orStop?: boolean } = {}): boolean {
  const names = unitNamePatterns(unit);
  return new RegExp(`\\bsystemctl\\s+(?:--[a-z-]+\\s+)*(?:(?:try-)?(?:reload-or-)?restart${options.orStop ? '|stop' : ''})\\s+(?:--\\s+)?(?:\\S+\\s+)*?(?:${names.join('|')})(?=\\s|$|;|&|\\|)`).test(command);
}

/**
 * Whether a handler's whole command is one restart of `unit` and nothing else (`systemctl restart
 * gridagent.service`): only such a handler may be left out where the run starts the unit itself
 * (engine/restart-covered-by-start.ts), since leaving it out drops all it does.
 */
export function onlyRestartsUnit(command: string, unit: string): boolean {
  const names = unitNamePatterns(unit);
  // `--user` and `--global` name another manager's unit of the same name, not this one.
  if (/(?:^|\s)--(?:user|global)\b/.test(command)) return false;
  return new RegExp(`^\\s*systemctl\\s+(?:--[a-z-]+\\s+)*(?:try-)?(?:reload-or-)?restart\\s+(?:--\\s+)?(?:${names.join('|')})\\s*$`).test(command);
}

/** `unit` as a command may name it (`gridagent.service` or `gridagent`), each escaped for a RegExp. */
function unitNamePatterns(unit: string): string[] {
  return [unit, ...(unit.endsWith('.service') ? [unit.slice(0, -'.service'.length)] : [])].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

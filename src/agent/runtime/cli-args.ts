import { splitHostPort } from './host-port.js';

/** Where the config is read when `--config` is not given (the systemd unit passes it anyway). */
export const DEFAULT_AGENT_CONFIG = '/etc/gridagent/config.yaml';

/** An agent's local HTTP endpoint, named on the command line with --http HOST:PORT. */
export interface HttpEndpoint {
  host: string;
  port: number;
}

/** What the command line asks for. */
export type AgentArgs =
  | { command: 'run'; config: string }
  | { command: 'status' | 'members'; config: string; json: boolean; http: HttpEndpoint | null }
  | { command: 'leave'; config: string; http: HttpEndpoint | null }
  | { command: 'rejoin'; config: string }
  | { command: 'version' }
  | { command: 'help' };

/** A command line gridagent does not understand: main.ts prints the message and the usage, exit 64. */
export class AgentUsageError extends Error {
  override readonly name = 'AgentUsageError';
}

/** The options each command takes; the value the option's value is named by, or null for a switch. */
const OPTIONS: Record<'run' | 'status' | 'members' | 'leave' | 'rejoin', Record<string, 'FILE' | 'HOST:PORT' | null>> = {
  run: { '--config': 'FILE' },
  status: { '--config': 'FILE', '--json': null, '--http': 'HOST:PORT' },
  members: { '--config': 'FILE', '--json': null, '--http': 'HOST:PORT' },
  leave: { '--config': 'FILE', '--http': 'HOST:PORT' },
  rejoin: { '--config': 'FILE' },
};

const isCommand = (word: string): word is keyof typeof OPTIONS => Object.hasOwn(OPTIONS, word);

/**
 * Reads the command line strictly: a known command first (none is `run`, as the usage documents
 * `gridagent [run] --config FILE`), then only that command's options. Anything else is refused:
 * before, a flag in first place made the command `run`, so `gridagent --config F status` started a
 * second agent beside the running one, and unknown flags or words were ignored.
 */
export function parseAgentArgs(argv: readonly string[]): AgentArgs {
  if (argv.includes('--version') || argv.includes('-v')) return { command: 'version' };
  if (argv.includes('--help') || argv.includes('-h')) return { command: 'help' };
  const args = [...argv];
  const first = args[0];
  const command = first !== undefined && !first.startsWith('-') ? args.shift()! : 'run';
  if (!isCommand(command)) throw new AgentUsageError(`unknown command '${command}'`);
  const options = OPTIONS[command];
  const given = new Map<string, string | true>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (!arg.startsWith('-')) {
      throw new AgentUsageError(isCommand(arg) ? `unexpected '${arg}': the command comes first (gridagent ${arg} --config FILE)` : `unexpected '${arg}'`);
    }
    const equals = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = equals >= 0 ? arg.slice(0, equals) : arg;
    if (!Object.hasOwn(options, name)) throw new AgentUsageError(`gridagent ${command} takes no option ${name}`);
    if (given.has(name)) throw new AgentUsageError(`${name} is given twice`);
    const valueName = options[name];
    if (valueName === null || valueName === undefined) {
      if (equals >= 0) throw new AgentUsageError(`${name} takes no value`);
      given.set(name, true);
      continue;
    }
    // The next word is the value unless it is another option: `--http --json` lacks the address.
    const value = equals >= 0 ? arg.slice(equals + 1) : args[index + 1]?.startsWith('-') ? undefined : args[++index];
    if (value === undefined || value === '') throw new AgentUsageError(`${name} needs a value (${valueName})`);
    given.set(name, value);
  }
  const config = (given.get('--config') as string | undefined) ?? DEFAULT_AGENT_CONFIG;
  const httpText = given.get('--http') as string | undefined;
  const http = httpText === undefined ? null : httpEndpoint(httpText);
  switch (command) {
    case 'run':
    case 'rejoin':
      return { command, config };
    case 'leave':
      return { command, config, http };
    case 'status':
    case 'members':
      return { command, config, json: given.has('--json'), http };
  }
}

/** `host:port` or `[v6]:port`; a missing or bad port is refused, where it was dialled as port 80. */
function httpEndpoint(text: string): HttpEndpoint {
  const [host, portText] = splitHostPort(text);
  const port = Number(portText);
  if (host === '' || !/^[0-9]+$/.test(portText) || port < 1 || port > 65535) {
    throw new AgentUsageError(`--http ${text} is not HOST:PORT with a port from 1 to 65535; write it as 127.0.0.1:7950 or [::1]:7950`);
  }
  return { host, port };
}

import { withCanonicalKeywords } from './ssh-config-keywords.js';
import { commaInHostLine, withHostLinesAsWords } from './ssh-config-host-words.js';
import { configFileReader, readSshConfigWithIncludes, type ConfigFileReader, type ConfigFileToRead, type ConfigLine, type DirectiveSource } from './ssh-config-include.js';
import { refuseFinalPassWithNesting } from './ssh-config-nested-blocks.js';
import { CANONICAL_NOT_APPLIED, judgeMatchCanonical } from './ssh-config-match-canonical.js';
import { computeFor, lookupAsLoginUser } from './ssh-config-lookup.js';
import { matchFinalIn } from './ssh-config-second-pass.js';
import { refuseMisplacedMatchAll, withoutNotAllBlocks } from './ssh-config-match-all.js';
import { parseSshConfigText } from './ssh-config-parse.js';
import { scanSystemSshConfig } from './ssh-config-system-scan.js';
import { SYSTEM_SSH_CONFIG } from './ssh-config-system-path.js';
import { ownBlockMatched, withOwnBlocksMarked } from './ssh-config-own-blocks.js';
import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import type SSHConfig from 'ssh-config';
import { ConnectionError } from '../errors/index.js';
import { canonicalHost } from '../topology/formats.js';
import type { Node } from '../topology/model.js';
import { parseJumpHost } from './ssh-host-spec.js';
import { tokenValues } from './ssh-pattern.js';

/**
 * OpenSSH client configuration (~/.ssh/config, with the files its Include lines name:
 * ssh-config-include.ts), read with the `ssh-config` parser, so the hosts
 * an operator already reaches with `ssh` are reached the same way: Host and Match blocks give
 * HostName, User, Port, IdentityFile and ProxyJump. The topology wins where it says something
 * itself (a setting whose origin is not `built-in`); ~/.ssh/config fills the rest, then the
 * built-in defaults (root, 22, ~/.ssh/id_*).
 *
 * What gridops cannot do as ssh does is said, never silently done another way: it runs no local
 * command from the file, so `Match exec` blocks (and Match criteria the parser cannot judge) are
 * not applied and CanonicalizeHostName is dropped (the parser would run `nslookup`), each with a
 * warning naming its line; a ProxyCommand route is refused (refuseProxyCommand).
 */
export interface SshConfigValues {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles?: string[];
  /**
   * The ProxyJump hop, `[USER@]HOST[:PORT]`, with its host looked up in the file as OpenSSH does
   * (jumpHostVia): an alias is reached at its HostName, User and Port, where the ProxyJump itself
   * names no user or port.
   */
  proxyJump?: string;
  /** The jump host's own IdentityFile, from that lookup (else it is reached with the node's key). */
  proxyJumpIdentityFiles?: string[];
  /** The jump host's own route in the file, as `ProxyJump X` or `ProxyCommand X`: a second hop, which gridops refuses. */
  proxyJumpRoute?: string;
  /**
   * A ProxyCommand other than `none` that OpenSSH would use (it came before any ProxyJump for the
   * host): a route gridops cannot take (refuseProxyCommand). At most one of proxyJump and this is set.
   */
  proxyCommand?: string;
  /** GlobalKnownHostsFile: the read-only known_hosts files OpenSSH reads for the host (global-known-hosts.ts). */
  globalKnownHostsFiles?: string[];
  /** HashKnownHosts: a key --accept-new-host-keys records for the host is written hashed (`|1|...`), as OpenSSH appends it. */
  hashKnownHosts?: boolean;
  /**
   * Where the values an error may name were written, as FILE:LINE (the file may be the system-wide
   * one), set only where the lines were read from files: an error without one says "the OpenSSH
   * client configuration" (valueAt).
   */
  writtenAt?: ValueSources;
}

/** FILE:LINE of the values refuseProxyCommand and connectionTarget may refuse. */
export interface ValueSources {
  proxyCommand?: string;
  proxyJump?: string;
  proxyJumpRoute?: string;
  /** By value as written: each IdentityFile (the node's or its jump host's), whose token, or whose file missing, a message may name. */
  identityFiles?: Record<string, string>;
}

/** How to reach one node once the topology and ~/.ssh/config are combined. */
export interface ConnectionTarget {
  host: string;
  port: number;
  user: string;
  identityFiles?: string[];
  jumpHost?: string;
  /** The jump host's own keys (~/.ssh/config's IdentityFile for a ProxyJump host); without them it is reached with identityFiles. */
  jumpIdentityFiles?: string[];
  /** Where each of identityFiles was written, as FILE:LINE by its path (tokens expanded), where they came from an ssh_config file and the line is known. */
  identityFilesWrittenAt?: Record<string, string>;
  /** The same for jumpIdentityFiles (always from an ssh_config file). */
  jumpIdentityFilesWrittenAt?: Record<string, string>;
  /** Which of the values came from ~/.ssh/config (for logs and docs). */
  fromSshConfig: string[];
}


/**
 * Parsed OpenSSH client configuration with its Include directives followed (ssh-config-include.ts),
 * or undefined when there is none: `file` alone where one is named, as `ssh -F FILE` reads it; else
 * `home`/.ssh/config followed by `systemFile`, as plain `ssh` reads them, as one sequence (the first
 * value for a keyword wins, the system file's blocks judged after the user's). A file that cannot be
 * read or parsed is an error naming it (a line the parser cannot read, its FILE:LINE: ssh-config-parse.ts),
 * as is one with blocks inside blocks and a `Match final` (refuseFinalPassWithNesting), or a Match
 * line placing `all` or `!all` where ssh refuses it (refuseMisplacedMatchAll). A block of a `!all`
 * that ssh takes applies to no host, and is taken out silently (withoutNotAllBlocks). What gridops
 * will not evaluate is taken out of it, and `warn` told, with the FILE:LINE it was written at.
 * `home` is where a user file's Include `~` and relative paths (under `home`/.ssh) lead; the
 * system file's relative ones lead to its directory.
 * A system file that sets nothing gridops reads but HashKnownHosts for every host (Debian's stock
 * one: ssh-config-system-scan.ts) is not parsed: its HashKnownHosts follows the user's lines, or,
 * where the user has no file, is all the configuration says (EveryHostValues), the parser unloaded.
 * Each file is opened, checked and read once (`readConfig`), by the scan and the parse alike.
 */
export function loadSshConfig(
  file: string | undefined = undefined,
  warn: (message: string) => void = () => undefined,
  home = homedir(),
  systemFile = SYSTEM_SSH_CONFIG,
  readConfig: ConfigFileReader = configFileReader(),
): LoadedSshConfig | undefined {
  // The parser is loaded only when there is a file to parse (it costs start-up time).
  let parser: typeof import('ssh-config').default | undefined;
  const parseText = (text: string) => (parser ??= (createRequire(import.meta.url)('ssh-config') as typeof import('ssh-config')).default).parse(text);
  const parse = (text: string) => withHostLinesAsWords(withCanonicalKeywords(parseSshConfigText(parseText, text)));
  const user = { user: true, home } as const;
  const userFile: ConfigFileToRead = { path: join(home, '.ssh', 'config'), includes: user };
  const scanned = file === undefined ? scanSystemSshConfig(systemFile, readConfig) : undefined;
  // A `Match final all` in it judges the user's Host lines again in a second pass, which only the parse of both files gives.
  const systemFileSkipped = scanned !== undefined && !(scanned.secondPass && existsSync(userFile.path));
  const files: ConfigFileToRead[] =
    file !== undefined ? [{ path: file, includes: user }] : systemFileSkipped ? [userFile] : [userFile, { path: systemFile, includes: { user: false, dir: dirname(systemFile) } }];
  const expanded = readSshConfigWithIncludes(files, parse, warn, readConfig);
  const skippedHashKnownHosts = systemFileSkipped ? scanned.hashKnownHosts : undefined;
  if (!expanded) return skippedHashKnownHosts === undefined ? undefined : { everyHost: { hashKnownHosts: skippedHashKnownHosts } };
  const { config, sourceOf } = expanded;
  // After every line of the user's, at the top level: it applies to every host, the user's value first, as the system file's `Host *` would.
  if (skippedHashKnownHosts !== undefined) config.push({ type: SSH_CONFIG_DIRECTIVE, param: 'HashKnownHosts', separator: ' ', value: skippedHashKnownHosts ? 'yes' : 'no', before: '', after: '\n' } as unknown as SSHConfig[number]);
  sourcesOf.set(config, sourceOf);
  refuseMisplacedMatchAll(config, sourceOf);
  // Before anything judges the blocks: what ssh never applies is not there to be warned of, judged, or looked up.
  withoutNotAllBlocks(config);
  // Found before withoutLocalCommands makes each `Match canonical` a `final` for compute(): the line written `final` is the one ssh's second pass comes from.
  const secondPassAskedAt = matchFinalIn(config as unknown as ConfigLine[]);
  withoutLocalCommands(config, sourceOf, warn);
  refuseFinalPassWithNesting(config, sourceOf, secondPassAskedAt);
  return config;
}

/**
 * All a configuration says where it is only a system file the scan judged (ssh-config-system-scan.ts)
 * and no ~/.ssh/config: the values it gives every host, found with no parser loaded.
 */
export interface EveryHostValues {
  readonly everyHost: Pick<SshConfigValues, 'hashKnownHosts'>;
}

/** A configuration loadSshConfig read: parsed, or EveryHostValues. */
export type LoadedSshConfig = SSHConfig | EveryHostValues;

/** Where a loaded config's directives were written, for the warning about a HostName that is not used (sshConfigFor). */
const sourcesOf = new WeakMap<SSHConfig, ReadonlyMap<ConfigLine, DirectiveSource>>();

/** The Match criteria the parser judges as OpenSSH does (`canonical` once judgeMatchCanonical made it `final`). */
const JUDGED_CRITERIA = new Set(['all', 'final', 'host', 'originalhost', 'user', 'localuser']);
/** Directives that make the parser's compute() look names up with `nslookup`, a local command with no timeout. */
const CANONICALIZING = /^Canonical(izeHostName|Domains|izeMaxDots|izeFallbackLocal|izePermittedCNAMEs)$/i;

/**
 * Takes out of `config` what would make compute() run a local command or judge a block wrongly:
 * Match blocks with `exec` (run by the parser through a shell, blocking the CLI) or a criterion it
 * does not know (it would silently never match), and the Canonicalize* directives. Each is said
 * once, with the FILE:LINE `sourceOf` gives it, in the order the config reads them.
 */
function withoutLocalCommands(config: SSHConfig, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>, warn: (message: string) => void): void {
  const said: Array<{ at: DirectiveSource | undefined; message: string }> = [];
  const say = (line: ConfigLine, message: string) => said.push({ at: sourceOf.get(line), message });

  const strip = (section: readonly unknown[]) => {
    const list = section as ConfigLine[];
    for (let i = 0; i < list.length; ) {
      const line = list[i]!;
      if (line.type === SSH_CONFIG_DIRECTIVE && line.config) {
        strip(line.config);
        i++;
        continue;
      }
      if (line.type !== SSH_CONFIG_DIRECTIVE || !CANONICALIZING.test(line.param ?? '')) {
        i++;
        continue;
      }
      // `no` (OpenSSH's default) asks for nothing gridops leaves undone.
      if (/^CanonicalizeHostName$/i.test(line.param!) && String(line.value).toLowerCase() !== 'no') say(line, 'CanonicalizeHostName is not applied (gridops connects to the name as the topology or HostName gives it, and looks up no domain)');
      list.splice(i, 1);
    }
  };
  strip(config);

  judgeMatchCanonical(config, (line) => say(line, CANONICAL_NOT_APPLIED));

  // ssh matches such a line, silently, to no host; the operator most likely meant a list.
  const sayCommas = (section: readonly ConfigLine[]) => {
    for (const line of section) {
      if (line.type !== SSH_CONFIG_DIRECTIVE || !line.config) continue;
      const comma = /^host$/i.test(line.param ?? '') ? commaInHostLine(line.value) : undefined;
      if (comma) say(line, comma);
      sayCommas(line.config);
    }
  };
  sayCommas(config as unknown as ConfigLine[]);

  // A block an Include put inside a block (ssh-config-nested-blocks.ts) is one too.
  const dropUnjudged = (section: unknown[]) => {
    for (let i = 0; i < section.length; ) {
      const line = section[i] as ConfigLine & { criteria?: Record<string, unknown> };
      if (line.type !== SSH_CONFIG_DIRECTIVE || !line.config) {
        i++;
        continue;
      }
      const criteria = /^match$/i.test(line.param ?? '') ? Object.keys(line.criteria ?? {}) : [];
      const exec = criteria.find((c) => c.toLowerCase() === 'exec');
      const unjudged = criteria.find((c) => !JUDGED_CRITERIA.has(c.toLowerCase()));
      if (exec) say(line, 'Match exec is not evaluated (gridops runs no local command from it); the block is not applied');
      else if (unjudged) say(line, `Match ${unjudged} is not supported; the block is not applied`);
      if (exec || unjudged) {
        section.splice(i, 1);
        continue;
      }
      dropUnjudged(line.config);
      i++;
    }
  };
  dropUnjudged(config);
  said.sort((a, b) => (a.at?.order ?? 0) - (b.at?.order ?? 0));
  for (const { at, message } of said) warn(`${at ? `${at.file}:${at.line}` : UNKNOWN_SOURCE}: ${message}`);
}

/** `SSHConfig.DIRECTIVE`, without loading the parser to read it. */
const SSH_CONFIG_DIRECTIVE = 1;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

/**
 * A lookup's IdentityFile values, each once where first written: OpenSSH's add_identity_file skips a
 * path it holds already, and a key offered twice (a `Match final` pass naming it again) is a second
 * rejection counted against the server's MaxAuthTries ("Too many authentication failures").
 */
const identityFilesOf = (value: unknown): string[] | undefined => (value === undefined ? undefined : [...new Set(Array.isArray(value) ? (value as string[]) : [value as string])]);

/**
 * What ~/.ssh/config says for a node: every value from one lookup, as `ssh ADDRESS` or `ssh NAME`
 * would make it, never one value from each. The address's, where a block of its own matches it (a
 * Host block other than `Host *`, or a Match on host names); else the name's, which gives the
 * values an operator who reaches the node as `ssh NAME` wrote for it, except its HostName: the
 * topology always writes the address, and what it writes wins, so the node is dialled at the
 * address that plan shows and that changed-host.ts compares with the state's. That lookup judges
 * `Match host` against that address too, as ssh does against the host it dials. A HostName there
 * that names another host is not used; where a block naming the node literally wrote it, `warn`
 * is told, with its file:line (a wildcard block's, such as `Host *` with `HostName %h`, is the
 * ordinary pattern, not a redirection meant for this node). `Match user` judges the user gridops
 * logs in as, decided in one place (lookupAsLoginUser), in whether a block of the address's own
 * matches as in the values.
 */
export function sshConfigFor(config: LoadedSshConfig | undefined, node: Pick<Node, 'name' | 'address'> | Node, warn: (message: string) => void = () => undefined): SshConfigValues {
  if (!config) return {};
  if ('everyHost' in config) return { ...config.everyHost };
  const writtenUser = 'origins' in node && writtenByTopology(node, 'user') ? node.settings.ssh.user : undefined;
  // Where the topology wrote no user and the file gives none, gridops logs in as its default.
  const defaultUser = 'settings' in node ? node.settings.ssh.user : BUILT_IN_USER;
  // The address's lookup says whether a block of its own matched, judged with the same login user as its values.
  const byAddressLookup = lookupAsLoginUser(withOwnBlocksMarked(config), node.address, writtenUser, defaultUser);
  const byAddress = node.name === node.address || ownBlockMatched(byAddressLookup.values);
  const host = byAddress ? node.address : node.name;
  // The name's lookup is dialled at the address: every HostName says it, in the copies the lookup makes of the
  // loaded config (ssh-config-lookup.ts), so a `Match final` pass judges Host lines against it (or the name, where none applies).
  const dialled = byAddress ? undefined : node.address;
  const { values, loginUser, fileUser } = byAddress ? byAddressLookup : lookupAsLoginUser(config, host, writtenUser, defaultUser, dialled);
  const pick = (key: string) => values[key];
  const port = first(pick('Port'));
  const identityFiles = identityFilesOf(pick('IdentityFile'));
  const sourceOf = sourcesOf.get(config);
  const route = proxyRouteFor(config, host, values, loginUser, sourceOf, dialled);
  const jump = route?.keyword === 'ProxyJump' ? jumpHostVia(config, route.value, sourceOf) : undefined;
  const writtenAt = sourceOf ? valueSources(config, sourceOf, route, jump?.routeAt, [...(identityFiles ?? []), ...(jump?.values.proxyJumpIdentityFiles ?? [])]) : undefined;
  const hostName = byAddress ? first(pick('HostName'))?.replace(/%h/g, host) : undefined;
  if (!byAddress) warnOfUnusedHostName(config, node, warn, loginUser);
  const globalKnownHosts = pick('GlobalKnownHostsFile');
  const hashKnownHosts = first(pick('HashKnownHosts'))?.toLowerCase();
  return {
    ...(hostName ? { hostName } : {}),
    ...(fileUser ? { user: fileUser } : {}),
    ...(port && /^\d+$/.test(port) ? { port: Number(port) } : {}),
    ...(identityFiles ? { identityFiles } : {}),
    ...(jump ? jump.values : {}),
    ...(route?.keyword === 'ProxyCommand' ? { proxyCommand: route.value } : {}),
    ...(globalKnownHosts ? { globalKnownHostsFiles: Array.isArray(globalKnownHosts) ? globalKnownHosts : [globalKnownHosts] } : {}),
    ...(hashKnownHosts === 'yes' || hashKnownHosts === 'no' ? { hashKnownHosts: hashKnownHosts === 'yes' } : {}),
    ...(writtenAt ? { writtenAt } : {}),
  };
}

/** `source` as an error names it: FILE:LINE. */
const fileLine = (source: DirectiveSource | undefined) => (source ? `${source.file}:${source.line}` : undefined);

/** What the node's values' errors may name (ValueSources), or undefined where none is known. */
function valueSources(config: SSHConfig, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>, route: ProxyRoute | undefined, jumpRouteAt: string | undefined, identityFiles: readonly string[]): ValueSources | undefined {
  const routeAt = fileLine(route?.at);
  const identityAt = identitySourcesOf(config, sourceOf);
  const identities = Object.fromEntries(identityFiles.flatMap((file) => (identityAt.has(file) ? [[file, identityAt.get(file)!]] : [])));
  const sources: ValueSources = {
    ...(routeAt && route?.keyword === 'ProxyCommand' ? { proxyCommand: routeAt } : {}),
    ...(routeAt && route?.keyword === 'ProxyJump' ? { proxyJump: routeAt } : {}),
    ...(jumpRouteAt ? { proxyJumpRoute: jumpRouteAt } : {}),
    ...(Object.keys(identities).length > 0 ? { identityFiles: identities } : {}),
  };
  return Object.keys(sources).length > 0 ? sources : undefined;
}

/** Each loaded config's IdentityFile values, with the FILE:LINE of the first line writing each (worked out once: lookups run per node). */
const identitySources = new WeakMap<SSHConfig, Map<string, string>>();

/** FILE:LINE of the first IdentityFile line of `config`, at any depth, writing each value: an error about a value names the line it came from. */
function identitySourcesOf(config: SSHConfig, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>): Map<string, string> {
  let known = identitySources.get(config);
  if (known) return known;
  const found = new Map<string, string>();
  const walk = (section: readonly ConfigLine[]) => {
    for (const line of section) {
      if (line.type !== SSH_CONFIG_DIRECTIVE) continue;
      if (line.config) walk(line.config);
      else if (line.param === 'IdentityFile') {
        // compute() lists each token of a quoted or several-word value as a file of its own.
        const values = tokenValues(line.value);
        const at = fileLine(sourceOf.get(line));
        for (const value of values) if (at && !found.has(value)) found.set(value, at);
      }
    }
  };
  walk(config as unknown as ConfigLine[]);
  known = found;
  identitySources.set(config, known);
  return known;
}

/** Where an error says a value was written: its FILE:LINE, where known. */
const UNKNOWN_SOURCE = 'the OpenSSH client configuration';

/** gridops' login user where neither the topology nor ~/.ssh/config names one (builtin-defaults.ts). */
const BUILT_IN_USER = 'root';

/**
 * Says, with its file:line, a HostName of the node's name's blocks that names another host than
 * the topology's address, when a block naming the node literally wrote it: that one was meant to
 * redirect this node. A wildcard block's HostName applies to every host it matches, and removing
 * it, as the warning would advise, would change the operator's ssh to all of them. A HostName only
 * a `Match final` pass sets is not said: ssh does not dial it either (ssh-config-second-pass.ts).
 */
function warnOfUnusedHostName(config: SSHConfig, node: Pick<Node, 'name' | 'address'>, warn: (message: string) => void, user: string | undefined): void {
  const values = computeFor(withHostNameSources(config, sourcesOf.get(config) ?? new Map()), node.name, user);
  // computeFor gives no HostName where only a `Match final` pass set one: ssh dials the name then, so that HostName is unused by ssh too, nothing gridops changed.
  if (values.HostName === undefined) return;
  const source = values[HOSTNAME_SOURCE] as unknown as HostNameSource | undefined;
  if (!source || !source.literalNames.includes(node.name.toLowerCase())) return;
  const hostName = source.value.replace(/%h/g, node.name);
  if (canonicalHost(hostName) === canonicalHost(node.address)) return;
  const at = `${fileLine(source.at) ?? UNKNOWN_SOURCE}: `;
  warn(
    `${at}HostName ${hostName}, of a block matching the node's name ${node.name}, is not used: ${node.name} is reached at its topology address ${node.address}; ` +
      `remove that HostName, or write its value as ${node.name}'s address in the topology, to silence this`,
  );
}

/** Where the HostName compute() takes for a host was written: its value, where (file and line), and the host names its block names without a wildcard. */
interface HostNameSource {
  value: string;
  at: DirectiveSource | undefined;
  /** Lower-cased: the block's Host patterns (or Match originalhost list) that are plain names, not negated; none outside a block. */
  literalNames: string[];
}

/** The marker's keyword (not an ssh_config keyword): its first value for a host is the source of the HostName compute() takes. */
const HOSTNAME_SOURCE = 'gridops-hostname-source';

/** A copy of each config with the HostName source markers, made once and only for a name's lookup. */
const hostNameMarked = new WeakMap<SSHConfig, SSHConfig>();

/** `config` with a HOSTNAME_SOURCE directive, valued with a HostNameSource, before each HostName directive compute() reads as HostName. */
function withHostNameSources(config: SSHConfig, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource>): SSHConfig {
  const known = hostNameMarked.get(config);
  if (known) return known;
  const mark = (section: readonly ConfigLine[], literalNames: string[]): ConfigLine[] =>
    section.flatMap((line) => {
      if (line.type !== SSH_CONFIG_DIRECTIVE) return [line];
      if (line.config) return [{ ...line, config: mark(line.config, literalNamesOf(line)) }];
      // compute() files a value under its keyword as written: only `HostName` is what sshConfigFor picks.
      if (line.param !== 'HostName') return [line];
      const source: HostNameSource = { value: directiveText(line.value, true), at: sourceOf.get(line), literalNames };
      return [{ type: SSH_CONFIG_DIRECTIVE, param: HOSTNAME_SOURCE, value: source }, line];
    });
  const marked = new (config.constructor as new () => SSHConfig)();
  marked.push(...(mark(config as unknown as ConfigLine[], []) as unknown as SSHConfig));
  hostNameMarked.set(config, marked);
  return marked;
}

/** The plain host names (no `*`, `?` or `!`) a Host block's patterns, or a Match block's originalhost list, name, lower-cased. */
function literalNamesOf(block: ConfigLine & { criteria?: Record<string, unknown> }): string[] {
  const patterns = /^host$/i.test(block.param ?? '')
    ? Array.isArray(block.value)
      ? (block.value as Array<{ val: string }>).map((t) => t.val)
      : String(block.value).split(/\s+/)
    : Object.entries(block.criteria ?? {}).flatMap(([criterion, list]) => (/^originalhost$/i.test(criterion) ? String(list).split(',') : []));
  return patterns.filter((p) => p !== '' && !/[*?!]/.test(p)).map((p) => p.toLowerCase());
}

/**
 * A ProxyJump hop with its host looked up in the file, as OpenSSH does for the ssh it runs to the
 * jump host: HostName, User, Port and IdentityFile of that host's blocks (a `user@` or `:port`
 * written in the ProxyJump wins). Several hops, or a hop gridops cannot read, stay as written:
 * connectionTarget and parseJumpHost refuse them by name.
 */
function jumpHostVia(
  config: SSHConfig,
  proxyJump: string,
  sourceOf: ReadonlyMap<ConfigLine, DirectiveSource> | undefined,
): { values: Pick<SshConfigValues, 'proxyJump' | 'proxyJumpIdentityFiles' | 'proxyJumpRoute'>; routeAt?: string } {
  const written = /^(?:([^@,]+)@)?(\[[^\]]+\]|[^:@,[\]]+)(?::(\d+))?$/.exec(proxyJump.trim());
  if (!written) return { values: { proxyJump } };
  const alias = written[2]!.replace(/^\[|\]$/g, '');
  // The hop's own `user@` is what `Match user` judges for it, as `ssh -J user@host` passes it on;
  // else the file's User for it, else the user gridops logs in to a hop as (root), as sshConfigFor judges a node's.
  const { values, loginUser, fileUser } = lookupAsLoginUser(config, alias, written[1], BUILT_IN_USER);
  const hostName = first(values.HostName as string | string[] | undefined)?.replace(/%h/g, alias) ?? alias;
  // The built-in user is not written into the hop: the transport logs in to a hop without one as root.
  const user = written[1] ?? fileUser;
  const configPort = first(values.Port as string | string[] | undefined);
  const port = written[3] ?? (configPort && /^\d+$/.test(configPort) ? configPort : undefined);
  const identityFiles = identityFilesOf(values.IdentityFile);
  const route = proxyRouteFor(config, alias, values, loginUser, sourceOf);
  const routeAt = fileLine(route?.at);
  return {
    values: {
      proxyJump: `${user ? `${user}@` : ''}${hostName.includes(':') ? `[${hostName}]` : hostName}${port ? `:${port}` : ''}`,
      ...(identityFiles ? { proxyJumpIdentityFiles: identityFiles } : {}),
      ...(route ? { proxyJumpRoute: `${route.keyword} ${route.value}` } : {}),
    },
    ...(routeAt ? { routeAt } : {}),
  };
}

/** A ProxyJump or ProxyCommand as written, the one of the two that OpenSSH takes for a host. */
interface ProxyRoute {
  keyword: 'ProxyJump' | 'ProxyCommand';
  value: string;
  /** Where it was written, where the config was read from files. */
  at?: DirectiveSource;
}

/**
 * The route ssh takes to `host`, or undefined for a direct connection. In OpenSSH ProxyJump and
 * ProxyCommand compete: whichever of the two it obtains first for the host is used and any later
 * instance of the other is ignored, and `none` (either) obtained first means no proxy at all. The
 * parser's compute() keeps the first value of each keyword apart, so which came first is lost: it is
 * read from a marker placed before each of them (withRouteMarkers), whose first value is the winner.
 * `dialled`: the address a host looked up by its name is dialled at (computeFor).
 */
function proxyRouteFor(
  config: SSHConfig,
  host: string,
  values: Record<string, unknown>,
  user: string | undefined,
  sourceOf: ReadonlyMap<ConfigLine, DirectiveSource> | undefined,
  dialled?: string,
): ProxyRoute | undefined {
  // The values computed already say whether the host's blocks name a route: the marked copy is computed only then.
  if (!Object.keys(values).some((k) => /^Proxy(Jump|Command)$/i.test(k))) return undefined;
  const route = computeFor(withRouteMarkers(config, sourceOf), host, user, dialled)[PROXY_ROUTE] as unknown as ProxyRoute | undefined;
  return route && route.value.toLowerCase() !== 'none' ? route : undefined;
}

/** The marker's keyword: not an ssh_config keyword, so nothing else in the file can set it. */
const PROXY_ROUTE = 'gridops-proxy-route';

/** A copy of each config with the route markers, made once: compute() runs per node. */
const routeMarked = new WeakMap<SSHConfig, SSHConfig>();

/** `config` with a PROXY_ROUTE directive, valued {keyword, value, at}, before each ProxyJump and ProxyCommand (OpenSSH keywords are case-insensitive); `at` from `sourceOf`. */
function withRouteMarkers(config: SSHConfig, sourceOf: ReadonlyMap<ConfigLine, DirectiveSource> | undefined): SSHConfig {
  const known = routeMarked.get(config);
  if (known) return known;
  const mark = (section: readonly ConfigLine[]): ConfigLine[] =>
    section.flatMap((line) => {
      if (line.type !== SSH_CONFIG_DIRECTIVE) return [line];
      if (line.config) return [{ ...line, config: mark(line.config) }];
      const keyword = /^ProxyJump$/i.test(line.param ?? '') ? 'ProxyJump' : /^ProxyCommand$/i.test(line.param ?? '') ? 'ProxyCommand' : undefined;
      if (!keyword) return [line];
      const at = sourceOf?.get(line);
      const route: ProxyRoute = { keyword, value: directiveText(line.value, keyword === 'ProxyJump'), ...(at ? { at } : {}) };
      return [{ type: SSH_CONFIG_DIRECTIVE, param: PROXY_ROUTE, value: route }, line];
    });
  // The same class, so compute() runs on the copy as on the original.
  const marked = new (config.constructor as new () => SSHConfig)();
  marked.push(...(mark(config as unknown as ConfigLine[]) as unknown as SSHConfig));
  routeMarked.set(config, marked);
  return marked;
}

/**
 * A directive's value as one string: the parser splits some into quoted tokens. A command is
 * joined back as the parser's compute() joins it; a ProxyJump (one argument) is its first token.
 */
function directiveText(value: unknown, firstTokenOnly: boolean): string {
  if (!Array.isArray(value)) return String(value);
  const tokens = value as Array<{ val: string; separator: string; quoted?: boolean }>;
  if (firstTokenOnly) return tokens[0]?.val ?? '';
  return tokens
    .map(({ val, separator, quoted }) => `${separator}${quoted ? `"${val.replace(/"/g, '\\"')}"` : val}`)
    .join('')
    .trim();
}

/**
 * Refuses a node that ~/.ssh/config routes through a ProxyCommand, unless the topology names its
 * jump host itself. gridops runs no local command for a connection (it could not bound or watch
 * it as it does a socket), and connecting directly instead would bypass the operator's route.
 * `notDone` ends the refusal: `gridops inventory` connects to nothing, so it says what it did not write.
 */
export function refuseProxyCommand(node: Node, config: SshConfigValues, notDone = 'not connecting directly instead'): void {
  if (!config.proxyCommand || writtenByTopology(node, 'jumpHost')) return;
  const at = config.writtenAt?.proxyCommand;
  throw new ConnectionError(
    node.name,
    `the ProxyCommand ${at ? `at ${at}` : `of ${UNKNOWN_SOURCE}`} reaches ${node.address}, which gridops cannot run (it runs no local command to connect); ${notDone}`,
    `route it with ProxyJump (one hop) there, or give the node ssh.jumpHost in the topology`,
  );
}

/** The SSH settings ~/.ssh/config may give where the topology wrote none. */
export const SSH_TARGET_KEYS = ['user', 'port', 'identityFile', 'jumpHost'] as const;

/** Whether the topology (or, for a node being decommissioned, the state's record of it) wrote `ssh.KEY`. */
export function writtenByTopology(node: Node, key: (typeof SSH_TARGET_KEYS)[number]): boolean {
  const origin = node.origins[`ssh.${key}`];
  return origin !== undefined && origin !== 'built-in';
}

/** The topology's value where it wrote one, else ~/.ssh/config's, else the built-in default. */
export function connectionTarget(node: Node, config: SshConfigValues): ConnectionTarget {
  const ssh = node.settings.ssh;
  const written = (key: (typeof SSH_TARGET_KEYS)[number]) => writtenByTopology(node, key);
  const fromSshConfig: string[] = [];
  const choose = <T>(key: (typeof SSH_TARGET_KEYS)[number], topology: T, fromConfig: T | undefined): T => {
    if (written(key) || fromConfig === undefined) return topology;
    fromSshConfig.push(key);
    return fromConfig;
  };
  const user = choose('user', ssh.user, config.user);
  const port = choose('port', ssh.port, config.port);
  const identityFiles = choose('identityFile', ssh.identityFile ? [ssh.identityFile] : undefined, config.identityFiles);
  const host = config.hostName ?? node.address;
  const identityAt = config.writtenAt?.identityFiles ?? {};
  const expanded = identityFiles && fromSshConfig.includes('identityFile') ? identityFiles.map((f) => expandIdentityTokens(node, f, identityAt[f], { host, port, user })) : identityFiles;
  const identityFilesWrittenAt = expanded && fromSshConfig.includes('identityFile') ? Object.fromEntries(identityFiles!.flatMap((f, i) => (identityAt[f] ? [[expanded[i]!, identityAt[f]!]] : []))) : undefined;
  const jumpHost = choose('jumpHost', ssh.jumpHost, config.proxyJump);
  const jumpFromConfig = fromSshConfig.includes('jumpHost');
  const oneHop = `gridops goes through one jump host: give the node ssh.jumpHost in the topology, or one hop in ${jumpFromConfig ? 'that ProxyJump' : 'ssh.jumpHost'}`;
  const proxyJumpAt = jumpFromConfig && config.writtenAt?.proxyJump ? ` (${config.writtenAt.proxyJump})` : '';
  if (jumpHost?.includes(',')) throw new ConnectionError(node.name, `ProxyJump ${jumpHost}${proxyJumpAt} has more than one hop`, oneHop);
  if (jumpFromConfig && config.proxyJumpRoute) {
    const routeAt = config.writtenAt?.proxyJumpRoute ?? UNKNOWN_SOURCE;
    throw new ConnectionError(node.name, `the jump host ${jumpHost} is reached through ${config.proxyJumpRoute} (${routeAt}): more than one hop`, 'gridops goes through one jump host: give the node ssh.jumpHost in the topology, or remove that second hop');
  }
  const jump = jumpHost ? parseJumpHost(jumpHost) : undefined;
  const jumpIdentityFiles =
    jumpFromConfig && jump && config.proxyJumpIdentityFiles ? config.proxyJumpIdentityFiles.map((f) => expandIdentityTokens(node, f, identityAt[f], { host: jump.host, port: jump.port ?? 22, user: jump.user ?? 'root' })) : undefined;
  const jumpIdentityFilesWrittenAt = jumpIdentityFiles ? Object.fromEntries(config.proxyJumpIdentityFiles!.flatMap((f, i) => (identityAt[f] ? [[jumpIdentityFiles[i]!, identityAt[f]!]] : []))) : {};
  if (config.hostName) fromSshConfig.push('hostName');
  return {
    host,
    port,
    user,
    ...(expanded ? { identityFiles: expanded } : {}),
    ...(identityFilesWrittenAt && Object.keys(identityFilesWrittenAt).length > 0 ? { identityFilesWrittenAt } : {}),
    ...(jumpHost ? { jumpHost } : {}),
    ...(jumpIdentityFiles ? { jumpIdentityFiles } : {}),
    ...(Object.keys(jumpIdentityFilesWrittenAt).length > 0 ? { jumpIdentityFilesWrittenAt } : {}),
    fromSshConfig,
  };
}

/**
 * An IdentityFile from ~/.ssh/config with OpenSSH's tokens expanded: %h the host connected to
 * (after HostName), %p its port, %r the remote user, %u the local user, %d the local home, %% a
 * `%`. Any other token (%C, %i, %L, %n, ...) is refused by name rather than used as a literal path.
 */
function expandIdentityTokens(node: Node, file: string, writtenAt: string | undefined, target: { host: string; port: number; user: string }): string {
  return file.replace(/%(.?)/g, (token, letter: string) => {
    switch (letter) {
      case 'h':
        return target.host;
      case 'p':
        return String(target.port);
      case 'r':
        return target.user;
      case 'u':
        return userInfo().username;
      case 'd':
        return homedir();
      case '%':
        return '%';
      default:
        throw new ConnectionError(
          node.name,
          `${writtenAt ? `IdentityFile ${file} (${writtenAt})` : `${UNKNOWN_SOURCE}'s IdentityFile ${file}`} uses ${token === '%' ? 'a lone %' : token}, which gridops does not expand`,
          'use %h, %p, %r, %u, %d or %% there, or give the node ssh.identityFile in the topology',
        );
    }
  });
}

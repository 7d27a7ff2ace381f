import { isIP } from 'node:net';
import { printableJson } from '../text/printable-json.js';
import { splitJumpHost } from './jump-host.js';

/**
 * String formats of the topology, each a checker that returns null when the value is fine or
 * a precise message (and hint) when it is not. The same checkers back the ajv formats and the
 * error messages, so the two never disagree.
 */
export interface FormatVerdict {
  message: string;
  hint: string;
}
type Checker = (value: string) => FormatVerdict | null;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Shows a value in a message without letting a hostile one flood or forge the output: cut to `max`
 * characters, saying how long it was, and quoted by printableJson, which escapes the terminal
 * controls and text-reordering characters JSON.stringify leaves raw.
 */
export function showValue(value: string, max = 40): string {
  const cut = value.length > max ? `${value.slice(0, max)}… (${value.length} chars)` : value;
  return printableJson(cut)!;
}

function dnsLabel(value: string): FormatVerdict | null {
  if (DNS_LABEL.test(value)) return null;
  return {
    message: `${showValue(value)} is not a DNS label`,
    hint: 'use 1 to 63 lowercase letters, digits or hyphens, starting and ending with a letter or digit',
  };
}

function isHostname(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const labels = value.replace(/\.$/, '').split('.');
  return labels.every((l) => /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/.test(l)) && !/^[0-9.]+$/.test(value);
}

/** The IPv4 address a URL parser (and inet_aton, which ssh and getaddrinfo use) reads in a name such as `0x0a.0.0.1`, if any. */
function ipv4InOtherNotation(value: string): string | undefined {
  try {
    const parsed = new URL(`http://${value}/`).hostname;
    return isIP(parsed) === 4 ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The form in which two spellings of one host compare equal: IPv6 compressed and lowercase
 * (`fd00:0:0::12` is `fd00::12`), an IPv4-mapped IPv6 address as its IPv4 address, a DNS
 * name lowercase without its trailing dot.
 */
export function canonicalHost(value: string): string {
  if (isIP(value) === 4) return value;
  if (isIP(value) === 6) {
    const [address, zone] = value.split('%') as [string, string | undefined];
    let canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
    if (mapped) {
      const n = parseInt(mapped[1]!, 16) * 65536 + parseInt(mapped[2]!, 16);
      canonical = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
    }
    return zone === undefined ? canonical : `${canonical}%${zone}`;
  }
  return value.toLowerCase().replace(/\.$/, '');
}

function host(value: string): FormatVerdict | null {
  if (isIP(value)) return null;
  const ipv4 = isHostname(value) ? ipv4InOtherNotation(value) : undefined;
  if (ipv4) return { message: `${showValue(value)} is the IPv4 address ${ipv4} in another notation`, hint: `write it as ${ipv4}` };
  if (isHostname(value)) return null;
  return {
    message: `${showValue(value)} is neither an IP address nor a hostname`,
    hint: 'write an IPv4 address (10.0.1.11), an IPv6 address (fd00::11) or a DNS name (node1.example.org)',
  };
}

function ipAddress(value: string): FormatVerdict | null {
  if (isIP(value)) return null;
  return { message: `${showValue(value)} is not an IP address`, hint: 'write an address to bind: 127.0.0.1 (local only), 0.0.0.0 (every interface), or one of the node\'s addresses' };
}

function hostname(value: string): FormatVerdict | null {
  if (isHostname(value)) return null;
  return { message: `${showValue(value)} is not a valid DNS name`, hint: 'write a fully qualified name such as region.eu-west.grid.example.org' };
}

function splitHostPort(value: string): { host: string; port: string } | null {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(value);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2]! };
  const plain = /^([^:\s]+):(\d+)$/.exec(value);
  return plain ? { host: plain[1]!, port: plain[2]! } : null;
}

function portProblem(port: string): FormatVerdict | null {
  const n = Number(port);
  if (Number.isInteger(n) && n >= 1 && n <= 65535) return null;
  return { message: `port ${port} is out of range`, hint: 'use a port between 1 and 65535' };
}

/**
 * An agent's HOST:PORT, as a seed: gridagent alone reads seeds, and its sockets are udp4, so an
 * IPv6 host (`[fe80::1]:7946`, or unbracketed `2001:db8::1:7946`) is refused here rather than
 * accepted and never reached. The agent refuses it in its own config too (runtime/config.ts).
 */
function endpoint(value: string): FormatVerdict | null {
  const parts = splitHostPort(value);
  const lastColon = value.lastIndexOf(':');
  const ipv6 = parts ? isIPv6Literal(parts.host) : isIPv6Literal(value) || (lastColon > 0 && isIPv6Literal(value.slice(0, lastColon)));
  if (ipv6) {
    return {
      message: `${showValue(value)} is an IPv6 address, and gridagent, which alone uses seeds, speaks IPv4 only (its sockets are udp4)`,
      hint: "give the seed agent's IPv4 address (10.0.1.11:7946) or a DNS name that resolves to it over IPv4 (node.example.org:7946)",
    };
  }
  if (!parts) return { message: `${showValue(value)} is not HOST:PORT`, hint: 'write it as 10.0.1.11:7946 or node.example.org:7946' };
  return host(parts.host) ?? portProblem(parts.port);
}

/** An IPv6 address, with or without a `%zone`. */
function isIPv6Literal(value: string): boolean {
  return isIP(value.split('%')[0]!) === 6;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function multicastEndpoint(value: string): FormatVerdict | null {
  const parts = splitHostPort(value);
  if (!parts) return { message: `${showValue(value)} is not GROUP:PORT`, hint: 'write it as 239.192.10.1:7947' };
  if (isIP(parts.host) !== 4) {
    return { message: `multicast group ${showValue(parts.host)} is not an IPv4 address`, hint: 'use an IPv4 group in 239.192.0.0/14 (organisation-local scope), e.g. 239.192.10.1' };
  }
  const first = ipv4ToInt('224.0.0.0');
  const last = ipv4ToInt('239.255.255.255');
  const ip = ipv4ToInt(parts.host);
  if (ip < first || ip > last) {
    return { message: `multicast group ${parts.host} is outside 224.0.0.0/4`, hint: 'use an address in 239.192.0.0/14 (organisation-local scope), e.g. 239.192.10.1' };
  }
  // 224.0.0.0/24 is the local network control block (224.0.0.1 all hosts, .5 and .6 OSPF, .251 mDNS):
  // never forwarded, and shared with the routers and daemons of the LAN, which would hear discovery.
  if (ip <= ipv4ToInt('224.0.0.255')) {
    return { message: `multicast group ${parts.host} is in 224.0.0.0/24, the local network control block that routers and system daemons use`, hint: 'use a group in 239.0.0.0/8 (administratively scoped), e.g. 239.192.10.1' };
  }
  return portProblem(parts.port);
}

function countOrPercent(value: string): FormatVerdict | null {
  const m = /^(\d+(?:\.\d+)?)%$/.exec(value);
  if (!m) return { message: `${showValue(value)} is neither a count nor a percentage`, hint: 'write a whole number of nodes (2) or a percentage (10%)' };
  const pct = Number(m[1]);
  if (pct <= 0 || pct > 100) return { message: `percentage ${value} is out of range`, hint: 'use a percentage above 0% and at most 100%' };
  return null;
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const DURATION_UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** Timers above this overflow Node's setTimeout (2^31 - 1 ms) and would fire at once. */
export const MAX_DURATION_MS = 24 * 3_600_000;

/**
 * A duration is one number and one unit, above zero and at most 24h. The message tells apart
 * the usual slips: a bare number (`30`), units combined Go-style (`1m30s`), zero.
 */
function duration(value: string): FormatVerdict | null {
  const m = DURATION.exec(value);
  if (!m) {
    if (/^\d+(?:\.\d+)?$/.test(value)) return { message: `${showValue(value)} has no unit`, hint: `add a unit: ${value}s, ${value}m or ${value}ms` };
    if (/^(\d+(?:\.\d+)?(ms|s|m|h)){2,}$/.test(value)) return { message: `${showValue(value)} combines units`, hint: 'write one number and one unit, e.g. 90s instead of 1m30s' };
    return { message: `${showValue(value)} is not a duration`, hint: 'write a number and a unit: 500ms, 60s, 5m or 1h' };
  }
  const ms = Number(m[1]) * DURATION_UNIT_MS[m[2] as keyof typeof DURATION_UNIT_MS];
  if (ms <= 0) return { message: `duration ${showValue(value)} is zero`, hint: 'a timeout or duration must be above zero, e.g. 10s' };
  if (ms > MAX_DURATION_MS) return { message: `duration ${showValue(value)} is longer than 24h`, hint: 'use a duration of at most 24h' };
  return null;
}

/** Milliseconds in a duration string; throws a RangeError carrying the same message and hint validate gives. */
export function parseDuration(value: string): number {
  const verdict = duration(value);
  if (verdict) throw Object.assign(new RangeError(verdict.message), { hint: verdict.hint });
  const m = DURATION.exec(value)!;
  return Number(m[1]) * DURATION_UNIT_MS[m[2] as keyof typeof DURATION_UNIT_MS];
}

/**
 * Names JavaScript gives objects a meaning of their own: as a key of a mapping, `__proto__` reaches
 * the prototype instead of a value (a merge through it once set Object.prototype.polluted). No
 * module or module option is named so, and such a key is refused where it is written.
 */
const OBJECT_MEMBER_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
function objectMemberName(value: string, what: string, example: string): FormatVerdict | null {
  if (!OBJECT_MEMBER_NAMES.has(value)) return null;
  return { message: `${showValue(value)} is not a ${what}: it is a name JavaScript objects reserve`, hint: `name the ${what} as modinfo lists it, e.g. ${example}` };
}

function moduleName(value: string): FormatVerdict | null {
  const reserved = objectMemberName(value, 'kernel module name', 'kvm_intel');
  if (reserved) return reserved;
  if (/^[A-Za-z0-9_-]{1,56}$/.test(value)) return null;
  return { message: `${showValue(value)} is not a kernel module name`, hint: 'module names use letters, digits, _ and -, e.g. kvm_intel or vhost_net' };
}

function sysctlKey(value: string): FormatVerdict | null {
  if (/^[a-z0-9_]+([./][a-z0-9_-]+)+$/.test(value)) return null;
  return { message: `${showValue(value)} is not a sysctl key`, hint: 'write it as dotted words, e.g. net.core.rmem_max' };
}

/**
 * A sysctl value as sysctl.d(5) takes it: words separated by single spaces (`4096 87380 6291456`),
 * each made of letters, digits and `. _ - : / , +`. Nothing a shell, printf or the kernel's string
 * parsers would read differently (`$ \` ; | & < > ( ) ' " \\ # = * ? !`), no control characters, at most 4096 bytes.
 */
const SYSCTL_VALUE = /^[A-Za-z0-9._:/,+-]+( [A-Za-z0-9._:/,+-]+)*$/;
function sysctlValue(value: string): FormatVerdict | null {
  if (value.length <= 4096 && SYSCTL_VALUE.test(value)) return null;
  return {
    message: `${showValue(value)} is not a sysctl value`,
    hint: 'write a number or words of letters, digits and . _ - : / , + separated by single spaces, e.g. 4096 87380 6291456',
  };
}

/** A module option's value in modprobe.d(5): one word (no spaces, quotes or comment marks), e.g. 1, Y or 0x1f,2. */
const MODULE_OPTION_VALUE = /^[A-Za-z0-9._:/,+-]{1,1024}$/;
function moduleOptionValue(value: string): FormatVerdict | null {
  if (MODULE_OPTION_VALUE.test(value)) return null;
  return { message: `${showValue(value)} is not a module option value`, hint: 'write one word of letters, digits and . _ - : / , +, e.g. 1, Y or 4,8' };
}

/** A module parameter name as modinfo prints it: letters, digits and _. */
function moduleOptionName(value: string): FormatVerdict | null {
  const reserved = objectMemberName(value, 'module option name', 'ignore_msrs');
  if (reserved) return reserved;
  if (/^[A-Za-z0-9_]{1,64}$/.test(value)) return null;
  return { message: `${showValue(value)} is not a module option name`, hint: 'module options are named with letters, digits and _, e.g. ignore_msrs' };
}

function filePath(value: string): FormatVerdict | null {
  if (value.length > 0 && value.length <= 4096 && !/[\0\n\r]/.test(value)) return null;
  return { message: 'path is empty, too long or contains a newline or NUL byte', hint: 'write a plain file path such as ~/.ssh/id_ed25519' };
}

function sshUser(value: string): FormatVerdict | null {
  if (/^[a-z_][a-z0-9_-]{0,31}\$?$/.test(value)) return null;
  return { message: `${showValue(value)} is not a valid user name`, hint: 'use a POSIX user name: lowercase letters, digits, _ and -, starting with a letter or _' };
}

/** Read as the transport reads it (jump-host.ts): an IPv6 host in brackets, `[2001:db8::1]:2222`. */
function jumpHost(value: string): FormatVerdict | null {
  const parts = splitJumpHost(value);
  if (parts) return (parts.user !== undefined ? sshUser(parts.user) : null) ?? host(parts.host) ?? (parts.port !== undefined ? portProblem(parts.port) : null);
  const address = value.slice(value.indexOf('@') + 1);
  if (isIPv6Literal(address)) {
    const user = value.slice(0, value.indexOf('@') + 1);
    return { message: `${showValue(value)} is an IPv6 address without brackets, which ssh cannot tell from a port`, hint: `write it in brackets: ${user}[${address}], or ${user}[${address}]:22 with a port` };
  }
  return { message: `${showValue(value)} is not [USER@]HOST[:PORT]`, hint: 'write it as admin@bastion.example.org:22, and an IPv6 address in brackets: admin@[2001:db8::1]:22' };
}

function semver(value: string): FormatVerdict | null {
  if (/^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(value)) return null;
  return { message: `${showValue(value)} is not a version`, hint: 'write a semantic version such as 0.1.0' };
}

function labelKey(value: string): FormatVerdict | null {
  if (/^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/.test(value)) return null;
  return { message: `${showValue(value)} is not a valid label key`, hint: 'use letters, digits, -, _ and ., optionally prefixed by a DNS name and /, e.g. gpu or example.org/rack' };
}

function labelValue(value: string): FormatVerdict | null {
  if (value.length <= 256 && !/[\0\n\r]/.test(value)) return null;
  return { message: 'label value is too long or contains a newline or NUL byte', hint: 'keep label values on one line, at most 256 characters' };
}

export const FORMATS = {
  'dns-label': dnsLabel,
  host,
  'ip-address': ipAddress,
  hostname,
  endpoint,
  'multicast-endpoint': multicastEndpoint,
  'count-or-percent': countOrPercent,
  duration,
  'module-name': moduleName,
  'sysctl-key': sysctlKey,
  'sysctl-value': sysctlValue,
  'module-option-name': moduleOptionName,
  'module-option-value': moduleOptionValue,
  'file-path': filePath,
  'ssh-user': sshUser,
  'jump-host': jumpHost,
  semver,
  'label-key': labelKey,
  'label-value': labelValue,
} satisfies Record<string, Checker>;

export type FormatName = keyof typeof FORMATS;

/**
 * The formats again as JSON Schema `pattern`s, for tools that know only the standard keywords
 * (yaml-language-server in editors, `ajv --strict`, which skip unknown formats). Each accepts
 * everything its checker accepts (a test holds them to that) and rejects most of what it refuses;
 * what a regular expression cannot say (an IPv4 octet above 255, a port above 65535, a multicast
 * group's exact range) is left to the checker, which gridops always runs. JSON Schema patterns are
 * ECMAScript regular expressions in Unicode mode.
 */
const HOSTNAME_PATTERN = '[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?';
const IPV6_PATTERN = '[0-9A-Fa-f]{0,4}(:[0-9A-Fa-f.]{0,15}){2,8}(%[^\\s]*)?'; // with a zone (fe80::1%eth0), as node:net accepts
const HOST_PATTERN = `(${IPV6_PATTERN}|${HOSTNAME_PATTERN})`;
const PORT_PATTERN = '[0-9]{1,5}';
export const FORMAT_PATTERNS: Partial<Record<FormatName, string>> = {
  'dns-label': '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
  host: `^${HOST_PATTERN}$`,
  'ip-address': `^([0-9]{1,3}(\\.[0-9]{1,3}){3}|${IPV6_PATTERN})$`,
  hostname: `^${HOSTNAME_PATTERN}$`,
  endpoint: `^(\\[[^\\]\\s:]+\\]|[A-Za-z0-9.-]+):${PORT_PATTERN}$`, // no IPv6 in brackets: the agent speaks IPv4 only
  'multicast-endpoint': `^2(2[4-9]|3[0-9])(\\.[0-9]{1,3}){3}:${PORT_PATTERN}$`,
  'count-or-percent': '^[0-9]+(\\.[0-9]+)?%$',
  duration: '^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$',
  'module-name': '^[A-Za-z0-9_-]{1,56}$',
  'sysctl-key': '^[a-z0-9_]+([./][a-z0-9_-]+)+$',
  'sysctl-value': `^${SYSCTL_VALUE.source.replace(/^\^|\$$/g, '')}$`,
  'module-option-name': '^[A-Za-z0-9_]{1,64}$',
  'module-option-value': '^[A-Za-z0-9._:/,+-]{1,1024}$',
  'file-path': '^[^\\n\\r\\u0000]{1,4096}$',
  'ssh-user': '^[a-z_][a-z0-9_-]{0,31}\\$?$',
  // A host outside brackets has no colon: splitJumpHost reads a bare IPv6 address as no host at all.
  'jump-host': `^([a-z_][a-z0-9_-]{0,31}\\$?@)?(\\[[^\\]\\s]+\\]|[A-Za-z0-9.-]+)(:${PORT_PATTERN})?$`,
  semver: '^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$',
  'label-key': '^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$',
  'label-value': '^[^\\n\\r\\u0000]{0,256}$',
};

/**
 * Host facts in ONE round trip: a single POSIX sh script prints tagged sections, and a pure
 * parser turns them into HostFacts. Every probe tolerates a missing file (containers, minimal
 * images, kernels without modules), so the script itself always exits 0.
 */
import { RemoteCommandError } from '../errors/index.js';
import type { FileAnswer, FileQuery, Transport } from '../transport/transport.js';
import { agentOnlyFacts, type HostFacts } from './host-facts.js';
import { parseRouteLines } from './route-table.js';

const TAG = '@@gridops-facts:';

/** Where the agent playbook records the version it installed. */
const AGENT_VERSION_FILE = '/opt/gridops/agent/VERSION';

/** The agent's config, as the agent playbook writes it (playbooks/agent.yaml). */
const AGENT_CONFIG_FILE = '/etc/gridagent/config.yaml';

/**
 * The `bootstrapScore:` line of the agent's config, without the key: read with the shell's `read`
 * up to that line (the 13th, some 600 bytes), none printed where there is no config. The
 * `superPeer:` line above it goes to its own section: the written score holds that preference's
 * factor, so it is reused only while the topology says the same (overlay/initial-election.ts).
 */
const AGENT_SCORE_SECTION = `s agent-score; sp=; [ -r ${AGENT_CONFIG_FILE} ] && while IFS= read -r l; do case "$l" in superPeer:*) sp=\${l#superPeer:};; bootstrapScore:*) printf '%s\\n' "\${l#bootstrapScore:}"; break;; esac; done < ${AGENT_CONFIG_FILE}
s agent-superpeer; [ -n "$sp" ] && printf '%s\\n' "$sp"`;

/** The installed agent's version: the one fact every run needs (is an agent there to ask?). */
const AGENT_SECTION = `s agent; if [ -r ${AGENT_VERSION_FILE} ]; then read -r v < ${AGENT_VERSION_FILE}; echo "$v"; elif command -v gridagent >/dev/null 2>&1; then gridagent --version 2>/dev/null; fi`;

/**
 * Where `command -v gridagent` looks in an SSH session: sshd's default PATH, root's and other
 * users'. A PATH set elsewhere (/etc/environment through pam_env, a login shell's startup files)
 * is not followed: an agent installed only there and without the playbook's VERSION file is taken
 * for none by a read without a shell. gridops' own agent always has that file (playbooks/agent.yaml);
 * the `command -v` fallback is for agents installed by other means, which gridops does not manage.
 */
const AGENT_PATH_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/games'];

/** What a read without a shell asks to learn the agent's version (agentFactsFromAnswers). */
export function agentFactsQueries(): FileQuery[] {
  return [{ path: AGENT_VERSION_FILE, lstat: true, read: 4096 }, ...AGENT_PATH_DIRS.map((dir) => ({ path: `${dir}/gridagent`, stat: true }))];
}

/**
 * AGENT_FACTS_BODY's result from agentFactsQueries' answers: the first line of the VERSION file;
 * no agent when there is neither that file nor a gridagent program. Undefined where only the shell
 * can say (a VERSION that is not a regular file, or a gridagent program to run for its version).
 */
export function agentFactsFromAnswers(answers: ReadonlyMap<string, FileAnswer>): HostFacts | undefined {
  const version = answers.get(AGENT_VERSION_FILE)?.lstat;
  if (version === undefined) return undefined;
  if (version !== null) {
    const content = answers.get(AGENT_VERSION_FILE)?.content;
    if (!content) return undefined;
    const text = content.toString('utf8');
    const line = text.split('\n')[0]!.trim();
    // A first line longer than was read, or one with a backslash (dash's echo reads its escapes): the shell's.
    if ((!text.includes('\n') && content.length > 4096) || line.includes('\\')) return undefined;
    return agentOnlyFacts(line === '' ? null : agentVersionOf(line));
  }
  const program = AGENT_PATH_DIRS.map((dir) => answers.get(`${dir}/gridagent`)?.stat);
  if (program.some((stat) => stat !== null)) return undefined;
  return agentOnlyFacts(null);
}

/** The version in the agent's VERSION line or `--version` output (`gridagent 0.1.0` is 0.1.0). */
function agentVersionOf(line: string): string {
  return /\bv?(\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.-]+)?)\b/.exec(line)?.[1] ?? line;
}

/**
 * The probe script. Sections: `@@gridops-facts:NAME@@` on a line of their own.
 *
 * No program runs on a host with a default route and /proc/sys/kernel/arch: only shell builtins.
 * An exec costs a host 2 to 3 ms of CPU (measured: a `grep` of /proc/cpuinfo and /proc/mounts
 * +3.3 ms, `ip -o addr show` +2.7 ms over `sh -c true`), and in the lab 50 or 500 hosts at once
 * share the operator machine's cores. Files are read with `read`, so only small ones or the first
 * lines of one: dash's `read` takes one byte per system call (/proc/mounts, 24 KB on a busy
 * machine, cost 25 000 syscalls per host that way). Never chain on `read`'s status: dash's read
 * returns 1 on some /proc files it read fine.
 * - architecture: /proc/sys/kernel/arch (`uname -m` only where the kernel lacks it);
 * - virtualisation flags: the first CPU's block of /proc/cpuinfo (it ends at the first empty
 *   line: `flags` on x86, absent elsewhere);
 * - cgroup layout: what /sys/fs/cgroup holds (cgroup.controllers at the top: v2; under unified/:
 *   systemd's hybrid; a v1 controller's `tasks`); swap accounting: v1's memory.memsw files, or a
 *   memory.swap.max below the v2 root (the root has none);
 * - cgroup controllers systemd can set limits with (cgroupControllers): on v2 the root's
 *   cgroup.controllers, one line; it is namespaced, so in a container it lists only what the host
 *   delegated, where /proc/cgroups shows the host kernel's. On v1 and hybrid the controllers live
 *   in v1 hierarchies (the unified tree's cgroup.controllers is empty, and systemd's hybrid mode
 *   sets no limit there): /proc/cgroups' enabled ones bound to a hierarchy (not 0). A kernel booted
 *   with cgroup_disable=memory lacks it in both;
 * - default route: the first up, non-reject default of /proc/net/route (RTF_UP without
 *   RTF_REJECT: an `unreachable default` shows there as device `*`, flags 0201), else of
 *   /proc/net/ipv6_route, which lists every routing table (a tunnel's policy table too), where
 *   `ip -6 route show default` looked at the main one;
 * - where no default route names the uplink (src/facts/uplink.ts needs more only then): the
 *   connected IPv4 routes of /proc/net/route (up, non-reject, as for the default) and the IPv6
 *   addresses of /proc/net/if_inet6;
 * - CPU count: the `Cpus_allowed_list` of /proc/self/status (what `nproc` counts: the CPUs this
 *   process may run on), read by the same loop as the capabilities; `nproc` only where the
 *   kernel lacks that line.
 * FACTS_BODY leaves no variable or function behind, so probes may follow it in the same shell.
 */
export const FACTS_BODY = `
s() { printf '\\n${TAG}%s@@\\n' "$1"; }
c() { [ -r "$1" ] && while IFS= read -r l || [ -n "$l" ]; do printf '%s\\n' "$l"; done < "$1"; }
s os-release; c /etc/os-release || c /usr/lib/os-release
s uname; c /proc/sys/kernel/arch || uname -m; c /proc/sys/kernel/osrelease
s init; if [ -d /run/systemd/system ]; then echo systemd; else c /proc/1/comm; fi
s cpu-flags; [ -r /proc/cpuinfo ] && while IFS= read -r l; do case "$l" in flags*) case " \${l#*:} " in *" vmx "*) echo vmx;; *" svm "*) echo svm;; esac; break;; '') break;; esac; done < /proc/cpuinfo
s meminfo; while read -r k v u; do case "$k" in MemTotal:) echo "$k $v $u" ;; SwapTotal:) echo "$k $v $u"; break ;; esac; done < /proc/meminfo
s modules-support; [ -e /proc/modules ] && echo proc-modules; if [ -r /proc/sys/kernel/modules_disabled ]; then read -r md < /proc/sys/kernel/modules_disabled; echo "modules_disabled=$md"; fi
s modules-loaded; [ -r /proc/modules ] && while read -r n rest; do echo "$n"; done < /proc/modules
s modules-builtin; read -r rel < /proc/sys/kernel/osrelease; c "/lib/modules/$rel/modules.builtin"
s sys-module; [ -d /sys/module ] && for d in /sys/module/*; do [ -e "$d/initstate" ] || echo "\${d##*/}"; done
s cgroup; [ -e /sys/fs/cgroup/cgroup.controllers ] && echo top-level-cgroup2; [ -e /sys/fs/cgroup/unified/cgroup.controllers ] && echo unified-cgroup2; for f in /sys/fs/cgroup/tasks /sys/fs/cgroup/*/tasks; do [ -e "$f" ] && { echo v1-controller; break; }; done; [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] && echo memsw; for f in /sys/fs/cgroup/*.slice/memory.swap.max /sys/fs/cgroup/init.scope/memory.swap.max; do [ -e "$f" ] && { echo swap-max; break; }; done
s cgroup-controllers; if [ -r /sys/fs/cgroup/cgroup.controllers ]; then cc=; read -r cc < /sys/fs/cgroup/cgroup.controllers; echo "v2 $cc"; elif [ -r /proc/cgroups ]; then while read -r n h x e; do [ "$e" = 1 ] && [ "$h" != 0 ] && echo "v1 $n"; done < /proc/cgroups; fi
s uptime; c /proc/uptime
s pkg; for p in apt-get dnf yum; do command -v "$p" >/dev/null 2>&1 && echo "$p"; done
${AGENT_SECTION}
${AGENT_SCORE_SECTION}
s default-route; d=; [ -r /proc/net/route ] && while read -r i dst gw fl rc u m mask rest; do if [ "$dst" = 00000000 ] && [ "$mask" = 00000000 ] && [ $(( 0x$fl & 0x201 )) = 1 ] && [ "$i" != '*' ]; then echo "default dev $i"; d=1; break; fi; done < /proc/net/route
[ -n "$d" ] || { [ -r /proc/net/ipv6_route ] && while read -r dst dl src sl gw m rc u fl i; do if [ "$dst" = 00000000000000000000000000000000 ] && [ "$dl" = 00 ] && [ $(( 0x$fl & 0x201 )) = 1 ] && [ "$i" != lo ]; then echo "default dev $i"; d=1; break; fi; done < /proc/net/ipv6_route; }
s connected-routes; [ -n "$d" ] || { [ -r /proc/net/route ] && while read -r i dst gw fl rc u m mask rest; do [ "$gw" = 00000000 ] && [ "$dst" != 00000000 ] && [ $(( 0x$fl & 0x201 )) = 1 ] && [ "$i" != '*' ] && echo "$i $dst $mask"; done < /proc/net/route; }
s addresses6; [ -n "$d" ] || { [ -r /proc/net/if_inet6 ] && while read -r a x pl sc fl i; do echo "$i $a"; done < /proc/net/if_inet6; }
s kvm; [ -c /dev/kvm ] && echo device; { true <> /dev/kvm; } 2>/dev/null && echo usable; for f in /sys/module/kvm_intel/parameters/nested /sys/module/kvm_amd/parameters/nested; do [ -r "$f" ] && c "$f"; done
s caps; cpus=; while read -r k v; do case "$k" in CapEff:) echo "$v";; Cpus_allowed_list:) cpus=$v; break;; esac; done < /proc/self/status
s nproc; if [ -n "$cpus" ]; then echo "allowed $cpus"; else nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null; fi
s end
unset l k v u md n rest rel d p i dst dl src sl gw fl rc m mask f cpus a x pl sc sp cc h e; unset -f s c
`;

/**
 * The agent's version alone, for a read whose resources and templates use no other fact (an
 * ad-hoc playbook of files, lines and commands, as Ansible's `gather_facts: false`): the rest of
 * FACTS_BODY costs a host about 5 ms of CPU, a third of such a read. parseFacts makes the result
 * an agentOnlyFacts.
 */
export const AGENT_FACTS_BODY = `
s() { printf '\\n${TAG}%s@@\\n' "$1"; }
s scope; echo agent-only
${AGENT_SECTION}
s end
unset v; unset -f s
`;

/** The facts alone, as one script (gatherFacts); the planner runs FACTS_BODY and the probes together. */
export const FACTS_SCRIPT = `${FACTS_BODY}exit 0
`;

/** Gathers facts with a single exec. Throws RemoteCommandError if the output is not ours. */
export async function gatherFacts(transport: Transport): Promise<HostFacts> {
  const r = await transport.exec(FACTS_SCRIPT, { timeoutMs: 30_000 });
  try {
    return parseFacts(r.stdout);
  } catch (e) {
    throw new RemoteCommandError(transport.name, `gathering facts (${(e as Error).message})`, r.code, r.stderr);
  }
}

/** Splits the script's output into sections. */
export function splitSections(output: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  const re = new RegExp(`^${TAG}([a-z0-9-]+)@@$`); // TAG holds no regex metacharacters
  for (const line of output.split('\n')) {
    const m = re.exec(line);
    if (m) {
      current = [];
      sections.set(m[1]!, current);
    } else if (current && line !== '') current.push(line);
  }
  return sections;
}

/** Parses /etc/os-release (shell-style KEY=value, values optionally quoted). */
export function parseOsRelease(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if (/^".*"$/.test(v)) v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (/^'.*'$/.test(v)) v = v.slice(1, -1);
    out[m[1]!] = v;
  }
  return out;
}

const moduleName = (s: string) => s.replace(/-/g, '_');

/** How many CPUs a kernel CPU list names (`0-3,8,10-11` is 7); NaN when it is not one. */
export function countCpuList(list: string): number {
  let n = 0;
  for (const part of list.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return Number.NaN;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from) return Number.NaN;
    n += to - from + 1;
  }
  return n;
}

/** Pure: the probe script's output -> HostFacts. */
export function parseFacts(output: string): HostFacts {
  const sec = splitSections(output);
  if (!sec.has('end')) throw new Error('the facts script output is incomplete');
  const get = (name: string) => sec.get(name) ?? [];
  const first = (name: string) => get(name)[0]?.trim() ?? '';
  const agentLine = first('agent');
  const agentVersion = agentLine === '' ? null : agentVersionOf(agentLine);
  if (first('scope') === 'agent-only') return agentOnlyFacts(agentVersion);

  const osr = parseOsRelease(get('os-release'));
  const [arch = 'unknown', release = 'unknown'] = get('uname').map((l) => l.trim());

  // The script prints the first CPU's virtualisation flags; an older one grepped /proc/cpuinfo and /proc/mounts (`FILE:MATCH` lines).
  const grepped = (file: string) => get('proc-grep').flatMap((l) => (l.startsWith(`${file}:`) ? [l.slice(file.length + 1)] : []));
  const flags = new Set([...get('cpu-flags'), ...grepped('/proc/cpuinfo')].map((l) => l.trim()));
  const virtFlags = (['vmx', 'svm'] as const).filter((f) => flags.has(f));

  const memKb = /^MemTotal:\s+(\d+)\s*kB/.exec(first('meminfo'));
  // An older script stopped at MemTotal: whether such a host has swap is not known.
  const swapKb = get('meminfo').map((l) => /^SwapTotal:\s+(\d+)\s*kB/.exec(l)).find((m) => m !== null);

  const support = get('modules-support').map((l) => l.trim());
  const disabled = support.find((l) => l.startsWith('modules_disabled='));
  const loadableModules = support.includes('proc-modules') && disabled !== undefined && disabled.split('=')[1] === '0';

  const fromFile = get('modules-builtin')
    .map((l) => l.trim())
    .filter((l) => l.endsWith('.ko'))
    .map((l) => moduleName(l.slice(l.lastIndexOf('/') + 1, -3)));
  const fromSys = get('sys-module').map((l) => moduleName(l.trim())).filter((l) => l !== '');
  const builtinModules = [...new Set([...fromFile, ...fromSys])].sort();

  // The script looks at /sys/fs/cgroup (`v1-controller`, `unified-cgroup2`); older scripts grepped /proc/mounts.
  const cg = [...get('cgroup'), ...grepped('/proc/mounts')];
  const v1 = cg.includes('v1-controller') || cg.some((l) => / cgroup /.test(l));
  const v2mount = cg.includes('unified-cgroup2') || cg.some((l) => / cgroup2 /.test(l));
  const cgroup: HostFacts['cgroup'] = cg.includes('top-level-cgroup2') ? 'v2' : v1 && v2mount ? 'hybrid' : v1 ? 'v1' : v2mount ? 'v2' : 'none';
  const swapAccounting = cg.includes('memsw') || cg.includes('swap-max');
  // `v2 cpuset cpu io memory pids` (the root's cgroup.controllers), or one `v1 NAME` per enabled,
  // mounted v1 controller; no section from an older script: not known.
  const controllerLines = sec.get('cgroup-controllers');
  const cgroupControllers = controllerLines?.flatMap((l) => {
    const [layout, ...names] = l.trim().split(/\s+/);
    return layout === 'v2' || layout === 'v1' ? names : [];
  });

  const pkgs = get('pkg').map((l) => l.trim());
  const packageManager: HostFacts['packageManager'] = pkgs.includes('apt-get') ? 'apt' : pkgs.includes('dnf') ? 'dnf' : pkgs.includes('yum') ? 'yum' : null;

  // `default dev eth0` (older scripts: `ip` lines, `default via 10.0.0.1 dev eth0 ...`).
  const defaultRouteDevice = get('default-route').map((l) => /\sdev\s+(\S+)/.exec(l)?.[1]).find((d) => d !== undefined) ?? null;
  // `ip -o addr show` lines (older scripts), then /proc/net/if_inet6's `DEVICE HEX32` lines.
  const addresses = [
    ...get('addresses').flatMap((l) => {
      const m = /^\d+:\s+(\S+)\s+inet6?\s+([^/\s]+)/.exec(l);
      return m ? [{ device: m[1]!, address: m[2]! }] : [];
    }),
    ...get('addresses6').flatMap((l) => {
      const m = /^(\S+)\s+([0-9a-f]{32})$/i.exec(l.trim());
      return m ? [{ device: m[1]!, address: ipv6FromHex(m[2]!) }] : [];
    }),
  ];
  const connectedRoutes = parseRouteLines(get('connected-routes'), arch);

  const uptime = Number.parseFloat(first('uptime').split(/\s+/)[0] ?? '');
  const cores = first('nproc').startsWith('allowed ') ? countCpuList(first('nproc').slice('allowed '.length)) : Number.parseInt(first('nproc'), 10);

  // JSON's number, as the template writes it (`bootstrapScore: 72.3`); `null` or anything else is none.
  const writtenScore = first('agent-score');
  const writtenBootstrapScore = /^\d+(?:\.\d+)?$/.test(writtenScore) ? Number(writtenScore) : null;
  // `"prefer"`, as jsonLine writes it; anything else (a hand edit, no line) is none.
  const writtenSuperPeer = (['prefer', 'auto', 'never'] as const).find((p) => first('agent-superpeer') === JSON.stringify(p)) ?? null;

  const kvm = get('kvm').map((l) => l.trim());
  const capEff = /^[0-9a-f]+$/i.test(first('caps')) ? BigInt(`0x${first('caps')}`) : null;
  return {
    os: {
      id: osr.ID ?? 'unknown',
      versionId: osr.VERSION_ID ?? null,
      prettyName: osr.PRETTY_NAME ?? null,
      idLike: (osr.ID_LIKE ?? '').split(/\s+/).filter((s) => s !== ''),
    },
    initSystem: first('init') || 'unknown',
    arch,
    cpu: { cores: Number.isFinite(cores) ? cores : 0, virtFlags: [...virtFlags] },
    capSysResource: capEff !== null && (capEff & (1n << 24n)) !== 0n,
    kvm: { device: kvm.includes('device'), usable: kvm.includes('usable'), nested: kvm.some((l) => l === 'Y' || l === '1') },
    memoryBytes: memKb ? Number(memKb[1]) * 1024 : 0,
    ...(swapKb ? { swapBytes: Number(swapKb[1]) * 1024 } : {}),
    kernel: {
      release,
      loadableModules,
      builtinModules,
      builtinModulesComplete: fromFile.length > 0,
      loadedModules: get('modules-loaded').map((l) => moduleName(l.trim())).filter((l) => l !== ''),
    },
    cgroup,
    swapAccounting,
    ...(cgroupControllers ? { cgroupControllers: [...new Set(cgroupControllers)].sort() } : {}),
    uptimeSeconds: Number.isFinite(uptime) ? Math.floor(uptime) : 0,
    packageManager,
    agentVersion,
    writtenBootstrapScore,
    writtenSuperPeer,
    network: { defaultRouteDevice, addresses, connectedRoutes },
  };
}

/** An IPv6 address from /proc/net/if_inet6's 32 hex digits, in the usual compressed form (RFC 5952). */
export function ipv6FromHex(hex: string): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number.parseInt(hex.slice(i * 4, i * 4 + 4), 16).toString(16));
  // The longest run of two or more zero groups becomes `::` (the first one on a tie).
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  if (best.at < 0) return groups.join(':');
  return `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.len).join(':')}`;
}

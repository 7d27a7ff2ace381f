/**
 * The ssh_config keywords gridops or the parser reads, in OpenSSH's spelling. OpenSSH reads
 * keywords case-insensitively (`hostname`, `PORT`), but the parser files a value under its keyword
 * as written and gridops looks each one up by this spelling, so a lower-case `hostname` would be
 * silently ignored; and compute()'s "first value wins" would keep both of `User` and `user`.
 */
const KEYWORDS = [
  'Host',
  'Match',
  'HostName',
  'User',
  'Port',
  'IdentityFile',
  'ProxyJump',
  'ProxyCommand',
  'GlobalKnownHostsFile',
  'UserKnownHostsFile',
  'HashKnownHosts',
  'LocalCommand',
  'PermitLocalCommand',
  'CanonicalizeHostName',
  'CanonicalDomains',
  'CanonicalizeFallbackLocal',
  'CanonicalizeMaxDots',
  'CanonicalizePermittedCNAMEs',
] as const;

const SPELLING: ReadonlyMap<string, string> = new Map(KEYWORDS.map((k) => [k.toLowerCase(), k]));

/** Whether a keyword (any case) is one gridops or the parser reads: a file setting none of them changes no lookup (ssh-config-system-scan.ts). */
export function isKeywordGridopsReads(keyword: string): boolean {
  return SPELLING.has(keyword.toLowerCase());
}

type Line = { param?: string; config?: Line[] };

/** Rewrites every directive of a parsed config (blocks included) whose keyword is one of KEYWORDS in any case to OpenSSH's spelling. */
export function withCanonicalKeywords<T extends Iterable<unknown>>(config: T): T {
  const walk = (lines: Iterable<unknown>) => {
    for (const line of lines as Iterable<Line>) {
      const spelled = line.param === undefined ? undefined : SPELLING.get(line.param.toLowerCase());
      if (spelled) line.param = spelled;
      if (Array.isArray(line.config)) walk(line.config);
    }
  };
  walk(config);
  return config;
}

/**
 * `[USER@]HOST[:PORT]` split as ssh's -J reads it: an IPv6 host is written in brackets
 * (`[2001:db8::1]:2222`), which are stripped here; a bare IPv6 address (`2001:db8::1`) is not
 * read, since its last group could be a port. The topology's format check and the transport that
 * dials the jump host both split with this, so what validate passes is what gridops connects to.
 * Undefined when the value does not have that shape; the parts are not checked further.
 */
export function splitJumpHost(value: string): { user?: string; host: string; port?: string } | undefined {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@[\]]+)(?::(\d+))?$/.exec(value);
  if (!m) return undefined;
  return { host: m[2]!.replace(/^\[|\]$/g, ''), ...(m[1] ? { user: m[1] } : {}), ...(m[3] ? { port: m[3] } : {}) };
}

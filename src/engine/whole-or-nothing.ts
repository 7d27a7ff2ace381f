/**
 * A batch's script as the remote shell must read it: one brace group, parsed whole before any of
 * it runs. A shell reading a script from its stdin (`sh -s`, or `. /dev/stdin` in a held read)
 * runs each command as soon as it has read it; when the stream ends early (gridops killed, the
 * network gone: sshd then closes the shell's stdin), it has run what came, and then runs the
 * half-received last line as if it were whole: `rm -rf -- /opt/app` cut after `/opt/` removes
 * /opt. A group whose closing `}` never came is a syntax error at the end of input instead, and
 * nothing of it ran. Inside the group, `exit`, traps, here-documents and the exit status are the
 * script's own: a brace group is the current shell, not a subshell.
 */
export function wholeOrNothing(script: string): string {
  // `{ }` with nothing in it is itself a syntax error: a script with no command stays as it is.
  if (script.trim() === '') return script;
  // The `}` on a line of its own, after the script's last newline: after a here-document's end
  // word or a comment it is still the group's end, not part of them.
  return `{\n${script}${script.endsWith('\n') ? '' : '\n'}}\n`;
}

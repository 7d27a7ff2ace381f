/**
 * Runs `ssh ...sshArgv(address)` for every address, `concurrency` at a time, and resolves once
 * every one exited 0. A reset that failed on a host leaves that host's work done, and the "first
 * run" after it would be partly a no-change run: so any failure (an exit status other than 0, a
 * signal, ssh not started) rejects, naming the hosts, and no further batch starts.
 * `spawn`: node:child_process's, or a fake.
 */
export async function resetHosts(addresses, { spawn, concurrency, sshArgv, env }) {
  for (let i = 0; i < addresses.length; i += concurrency) {
    const batch = addresses.slice(i, i + concurrency);
    const outcomes = await Promise.all(batch.map((address) => resetOne(spawn, address, sshArgv(address), env)));
    const failed = outcomes.filter((o) => o !== undefined);
    if (failed.length) throw new Error(`resetting ${failed.length} ${failed.length === 1 ? 'host' : 'hosts'} failed, so the next first run would find work already done: ${failed.join('; ')}`);
  }
}

/** Undefined where the host's reset ran; else what went wrong, as `ADDRESS: exit N: STDERR`. */
function resetOne(spawn, address, argv, env) {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome) => {
      if (settled) return;
      settled = true;
      resolve(outcome);
    };
    let stderr = '';
    const child = spawn('ssh', argv, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    child.on('error', (err) => settle(`${address}: ${err.message}`));
    // 'close', not 'exit': stderr is complete by then, for the message.
    child.on('close', (code, signal) => settle(code === 0 ? undefined : `${address}: ${code === null ? `killed by ${signal}` : `exit ${code}`}${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' / ')}` : ''}`));
  });
}

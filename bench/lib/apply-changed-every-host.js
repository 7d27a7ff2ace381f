// What a timed `gridops apply` changed, read from the summary it prints anyway ("Apply: 150 changes
// on 50 hosts, 0 unchanged, in 1.2 s.": formatApplySummary), so the timed process does nothing more
// than before: a first run that found some work already done, or a "no change" apply that changed
// something, measured other than what its row is labelled, and the bench ends on it.

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The counts of the summary line; throws (naming the run, `what`) where there is none. */
function applySummary(stdout, what) {
  const m = /^Apply: (\d+) changes? on (\d+) hosts?, (\d+) unchanged/m.exec(stdout);
  if (!m) throw new Error(`${what} printed no "Apply: ..." summary: cannot tell what it changed`);
  return { changes: Number(m[1]), changed: Number(m[2]), unchanged: Number(m[3]) };
}

/**
 * Checks that a first run or a drift repair changed every one of its `hosts`, each by
 * `changesPerHost` changes (the 3-task work: 3): fewer means some of its work was already done.
 */
export function assertChangedEveryHost(stdout, hosts, changesPerHost, what) {
  const { changes, changed, unchanged } = applySummary(stdout, what);
  if (changed !== hosts || unchanged !== 0) throw new Error(`${what} changed ${changed} of ${hosts} hosts (${unchanged} unchanged): it did not measure what it is labelled`);
  if (changes !== hosts * changesPerHost) throw new Error(`${what} made ${changes} changes on ${hosts} hosts, not ${changesPerHost} on each (${hosts * changesPerHost}): it did not measure what it is labelled`);
}

/** Checks that a no-change apply changed nothing and found all its `hosts` in sync. */
export function assertNoChange(stdout, hosts, what) {
  const { changes, changed, unchanged } = applySummary(stdout, what);
  if (changes !== 0 || changed !== 0 || unchanged !== hosts) throw new Error(`${what} made ${plural(changes, 'change')} on ${plural(changed, 'host')} (${unchanged} of ${hosts} unchanged): it did not measure what it is labelled`);
}

/**
 * Checks, from the summary a `gridops apply` prints anyway ("Apply: 150 changes on 50 hosts, 0
 * unchanged, in 1.2 s.": formatApplySummary), that it changed every one of its `hosts`: a first
 * run or a drift repair that found some hosts already done measured less than its label says. Read
 * from the timed run's own output, so the timed process does nothing more than before. `what`
 * names the run in the error.
 */
export function assertChangedEveryHost(stdout, hosts, what) {
  const m = /^Apply: \d+ changes? on (\d+) hosts?, (\d+) unchanged/m.exec(stdout);
  if (!m) throw new Error(`${what} printed no "Apply: ..." summary: cannot tell whether it changed every host`);
  const changed = Number(m[1]);
  const unchanged = Number(m[2]);
  if (changed !== hosts || unchanged !== 0) throw new Error(`${what} changed ${changed} of ${hosts} hosts (${unchanged} unchanged): it did not measure what it is labelled`);
}

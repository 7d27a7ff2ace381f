// What bench/provision.js measures, in order, per repetition, with the label printed for each row.
// A label says what was warmed before the run it times: the kept rows' connections each have an
// SFTP session the keeper opened after the previous run ended (keeper-server.ts, readyLaterReads;
// settle waits it out), and every first run finds its topology already validated (the
// validated-topology cache: the bench plans each size once, untimed, before its repetitions).

/** Said of the kept rows (--persist after the keeper-started apply). */
const KEPT = 'kept connections, SFTP sessions readied between runs';
/** Said of the first-run rows. */
const VALIDATED = 'topology validated before';

/** [key, label] per row. */
export const MEASURES = [
  ['floor', 'ssh floor: connect + host key + `true`, one process'],
  ['workFloor', 'work floor: the same, the 3 tasks done blind in its one exec'],
  ['first', `gridops apply, first run (--persist: keeper started, connections opened; ${VALIDATED})`],
  ['noChangeKept', `gridops apply, no change, --persist (${KEPT})`],
  ['planKept', `gridops plan, no-op, --persist (${KEPT})`],
  ['firstAfterPlan', `gridops apply, first run after a plan, --persist (${KEPT}; ${VALIDATED})`],
  ['planFresh', 'gridops plan, no-op, fresh connections'],
  ['noChangeFresh', 'gridops apply, no change, fresh connections'],
  ['firstFresh', `gridops apply, first run, fresh connections (no keeper; ${VALIDATED})`],
  ['driftFresh', 'gridops apply, drift repair (files removed behind its back), fresh'],
];

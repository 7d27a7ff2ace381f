/**
 * The title of the batch loop's phase (apply-in-batches.ts), on its own: the interrupt notice
 * tells the loop's start by it, and importing the loop itself for one string would load the
 * overlay's polling and the batch strategy into every `plan`.
 */
export const APPLY_IN_BATCHES_TITLE = 'apply in batches';

/** The criteria readconf.c reads without a value, `!` or not (its own list): each other one is followed by its pattern list. */
const WITHOUT_VALUE = /^!?(all|canonical|final)$/i;

/** Whether a Match criterion (`!` kept) is one readconf.c reads without a value. */
export function takesNoValue(criterion: string): boolean {
  return WITHOUT_VALUE.test(criterion);
}

/**
 * A Match line's words split as readconf.c reads them, one entry a criterion: its word (`!` kept),
 * then its pattern list where it takes one. A last criterion whose value is missing stands alone.
 */
export function matchCriteria(words: readonly string[]): string[][] {
  const criteria: string[][] = [];
  for (let i = 0; i < words.length; ) {
    const width = takesNoValue(words[i]!) ? 1 : 2;
    criteria.push(words.slice(i, i + width));
    i += width;
  }
  return criteria;
}

export interface UpkeepPolicyOptions {
  /** Growth since the last upkeep, as a share of the size it recorded, that makes a table due. */
  growthShare: number
  /** ... plus this many pages, so that a new, tiny table is not analyzed on every row. */
  minPages: number
}

/**
 * Whether a table needs its statistics taken again: autovacuum's rule (a share of the table
 * changed, plus a floor), on pages, which the service reads cheaply without the statistics
 * collector. A table never analyzed records 0 pages, so it is due as soon as it holds a few.
 */
export function upkeepDue (size: { pages: number, pagesAtLastUpkeep: number }, options: UpkeepPolicyOptions): boolean {
  return size.pages - size.pagesAtLastUpkeep > options.minPages + options.growthShare * size.pagesAtLastUpkeep
}

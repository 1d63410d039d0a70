import type { Sql } from '../db/client.ts'
import { sleep } from '../lib/waiting.ts'
import { tableSizes, upkeepTable } from '../store/table-upkeep.ts'
import { upkeepDue, type UpkeepPolicyOptions } from './upkeep-policy.ts'

export interface UpkeepOptions extends UpkeepPolicyOptions {
  /** How often the tables' sizes are looked at. */
  checkIntervalMs: number
}

export const DEFAULT_UPKEEP_OPTIONS: UpkeepOptions = {
  checkIntervalMs: 10_000,
  growthShare: 0.2,
  minPages: 8
}

/**
 * The leader's upkeep of the tables its statements are planned on, where nothing else keeps them:
 * the embedded database has no autovacuum, and a server may run with it off. PostgreSQL keeps the
 * plan of a prepared statement that it made while the queue was empty: with 275,000 contacts
 * waiting, the settle's statements scanned both tables (70–90 ms a batch instead of 2–4, the
 * sync below HubSpot's ceiling). Where autovacuum runs, the tables are rarely due here.
 */
export async function runTableUpkeep (
  deps: { sql: Sql, log: { warn: (obj: object, msg: string) => void }, options: UpkeepOptions },
  signal: AbortSignal
): Promise<void> {
  const { sql, log, options } = deps
  while (!signal.aborted) {
    try {
      for (const size of await tableSizes(sql)) {
        if (signal.aborted) return
        if (upkeepDue(size, options)) await upkeepTable(sql, size.table)
      }
    } catch (error) {
      if (!signal.aborted) log.warn({ err: error }, 'table upkeep failed; tried again at the next check')
    }
    await sleep(options.checkIntervalMs, signal)
  }
}

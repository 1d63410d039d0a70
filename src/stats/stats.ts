import type { Sql } from '../db/client.ts'
import { readWithin } from '../db/unavailable.ts'
import { readActivity } from '../store/activity-table.ts'
import { queueStats } from '../store/queue-table.ts'
import { countFailedRequests } from '../store/requests-table.ts'
import { DAY_MS, summarizeActivity, type ActivitySummary } from './summary.ts'

export interface Stats extends ActivitySummary {
  queue: { pending: number, failed: number, oldestPendingSeconds: number | null }
  generatedAt: string
}

export interface StatsDeps {
  sql: Sql
  /** This process's counts not yet written: written first, so that its own work is in the figures. */
  flush: () => Promise<void>
  readDeadlineMs: number
  now?: () => number
}

/**
 * The runbook's criteria from what every replica has written to activity_minutes (at most
 * 1,440 rows a day, whatever the traffic) and the queue as it stands: no scan of the requests.
 */
export async function readStats (deps: StatsDeps): Promise<Stats> {
  const now = deps.now ?? Date.now
  const read = async () => {
    // Counts this process could not write now (the database away) are kept and shown once it is back
    await deps.flush().catch(() => {})
    const at = now()
    const [minutes, queue, failed] = await Promise.all([
      readActivity(deps.sql, new Date(at - DAY_MS)),
      queueStats(deps.sql),
      countFailedRequests(deps.sql)
    ])
    return { ...summarizeActivity(minutes, at), queue: { ...queue, failed }, generatedAt: new Date(at).toISOString() }
  }
  return readWithin(read(), deps.readDeadlineMs)
}

import type { Sql } from '../db/client.ts'
import { addLatencyCounts, bucketOf } from '../lib/latency-histogram.ts'
import { addActivity, deleteActivityBefore, emptyActivityCounts, type ActivityCounts, type ActivityMinute } from './activity-table.ts'

/**
 * What this process counts for /v1/stats, per minute, written to activity_minutes every few
 * seconds and on close: counts survive restarts and add up across replicas. A flush that fails
 * (the database is away) keeps its counts for the next one.
 */
export interface ActivityRecorder {
  accepted: (count?: number) => void
  /** An API request answered with this status. */
  answered: (statusCode: number) => void
  /** Requests the sync settled; latencies (202 → synced) of the synced ones. */
  settled: (outcome: { synced: number, failed: number, syncedLatenciesMs: number[] }) => void
  /** One attempt sent to HubSpot: its status, or null when it got no answer. */
  hubspotCall: (status: number | null) => void
  /** Writes what is counted so far; resolves when it is stored (or has failed and is kept). */
  flush: () => Promise<void>
  close: () => Promise<void>
}

export interface ActivityRecorderOptions {
  sql: Sql
  flushIntervalMs: number
  /** Minutes older than this are deleted, once an hour. */
  keepMinutesForMs: number
  onError: (error: unknown) => void
  now?: () => number
}

const MINUTE_MS = 60_000
const PRUNE_INTERVAL_MS = 60 * MINUTE_MS

function mergeCounts (into: ActivityCounts, more: ActivityCounts): void {
  into.accepted += more.accepted
  into.requests += more.requests
  into.serverErrors += more.serverErrors
  into.synced += more.synced
  into.failed += more.failed
  into.hubspotCalls += more.hubspotCalls
  into.hubspotRateLimited += more.hubspotRateLimited
  into.hubspotErrors += more.hubspotErrors
  addLatencyCounts(into.syncLatency, more.syncLatency)
}

export function createActivityRecorder (options: ActivityRecorderOptions): ActivityRecorder {
  const now = options.now ?? Date.now
  // Counts not yet written, by the minute (ms since the epoch) they happened in
  let pending = new Map<number, ActivityCounts>()
  let flushing: Promise<void> = Promise.resolve()
  let lastPruneAt = 0

  function current (): ActivityCounts {
    const minute = now() - (now() % MINUTE_MS)
    let counts = pending.get(minute)
    if (counts === undefined) {
      counts = emptyActivityCounts()
      pending.set(minute, counts)
    }
    return counts
  }

  async function write (): Promise<void> {
    if (pending.size > 0) {
      const taken = pending
      pending = new Map()
      const minutes: ActivityMinute[] = [...taken].map(([minute, counts]) => ({ minute: new Date(minute), ...counts }))
      try {
        await addActivity(options.sql, minutes)
      } catch (error) {
        // Kept for the next flush, added to whatever was counted meanwhile
        for (const [minute, counts] of taken) {
          const later = pending.get(minute)
          if (later) mergeCounts(later, counts)
          else pending.set(minute, counts)
        }
        throw error
      }
    }
    if (now() - lastPruneAt >= PRUNE_INTERVAL_MS) {
      lastPruneAt = now()
      await deleteActivityBefore(options.sql, new Date(now() - options.keepMinutesForMs))
    }
  }

  function flush (): Promise<void> {
    // One flush at a time: a second waits for the first, then writes what came since
    flushing = flushing.then(write, write)
    return flushing
  }

  const timer = setInterval(() => { flush().catch(options.onError) }, options.flushIntervalMs)
  timer.unref()

  return {
    accepted (count = 1) { current().accepted += count },
    answered (statusCode) {
      const counts = current()
      counts.requests++
      if (statusCode >= 500) counts.serverErrors++
    },
    settled ({ synced, failed, syncedLatenciesMs }) {
      const counts = current()
      counts.synced += synced
      counts.failed += failed
      for (const latency of syncedLatenciesMs) counts.syncLatency[bucketOf(latency)]++
    },
    hubspotCall (status) {
      const counts = current()
      counts.hubspotCalls++
      if (status === 429) counts.hubspotRateLimited++
      else if (status === null || status >= 500 || (status >= 400 && status !== 404)) counts.hubspotErrors++
    },
    flush,
    async close () {
      clearInterval(timer)
      await flush()
    }
  }
}

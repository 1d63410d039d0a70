import { addLatencyCounts, emptyLatencyCounts, latencyQuantile } from '../lib/latency-histogram.ts'
import type { ActivityMinute } from '../store/activity-table.ts'

/** The runbook's success criteria: a deploy is judged by these over the 24 hours after it. */
export const TARGETS = { errorRate: { max: 0.001 }, syncSuccess: { min: 0.95 } } as const

export interface StatsWindow {
  accepted: number
  requests: number
  serverErrors: number
  /** 5xx share of the API requests answered; 0 when none were */
  errorRate: number
  synced: number
  failed: number
  /** synced / (synced + failed); null when nothing was settled */
  syncSuccess: number | null
  latencyMs: { p50: number | null, p99: number | null }
  hubspot: { calls: number, rateLimited: number, errors: number }
  targets: {
    errorRate: { max: number, met: boolean }
    /** Met when nothing was settled: nothing failed */
    syncSuccess: { min: number, met: boolean }
  }
}

/** One hour of the chart: what was accepted, synced and failed in it. */
export interface HourActivity { hour: string, accepted: number, synced: number, failed: number }

export interface ActivitySummary {
  windows: { '1h': StatsWindow, '24h': StatsWindow }
  /** The last 24 hours, oldest first, the current (partial) hour last: always 24 entries */
  hourly: HourActivity[]
}

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
export const DAY_MS = 24 * HOUR_MS

function windowOf (minutes: ActivityMinute[]): StatsWindow {
  const sum = (pick: (m: ActivityMinute) => number) => minutes.reduce((total, m) => total + pick(m), 0)
  const requests = sum((m) => m.requests)
  const serverErrors = sum((m) => m.serverErrors)
  const synced = sum((m) => m.synced)
  const failed = sum((m) => m.failed)
  const latency = minutes.reduce((counts, m) => addLatencyCounts(counts, m.syncLatency), emptyLatencyCounts())
  const errorRate = requests === 0 ? 0 : serverErrors / requests
  const syncSuccess = synced + failed === 0 ? null : synced / (synced + failed)
  return {
    accepted: sum((m) => m.accepted),
    requests,
    serverErrors,
    errorRate,
    synced,
    failed,
    syncSuccess,
    latencyMs: { p50: latencyQuantile(latency, 0.5), p99: latencyQuantile(latency, 0.99) },
    hubspot: { calls: sum((m) => m.hubspotCalls), rateLimited: sum((m) => m.hubspotRateLimited), errors: sum((m) => m.hubspotErrors) },
    targets: {
      errorRate: { max: TARGETS.errorRate.max, met: errorRate <= TARGETS.errorRate.max },
      syncSuccess: { min: TARGETS.syncSuccess.min, met: syncSuccess === null || syncSuccess >= TARGETS.syncSuccess.min }
    }
  }
}

/**
 * The criteria over the last hour and the last day, and the day hour by hour, from the
 * minutes' counts. A window holds the minutes that started within it, the current one included.
 */
export function summarizeActivity (minutes: ActivityMinute[], nowMs: number): ActivitySummary {
  const since = (ms: number) => minutes.filter((m) => m.minute.getTime() > nowMs - ms)
  const currentHour = nowMs - (nowMs % HOUR_MS)
  const hourly: HourActivity[] = Array.from({ length: 24 }, (_, i) => ({
    hour: new Date(currentHour - (23 - i) * HOUR_MS).toISOString(),
    accepted: 0,
    synced: 0,
    failed: 0
  }))
  for (const m of minutes) {
    const index = 23 - Math.floor((currentHour - (m.minute.getTime() - (m.minute.getTime() % HOUR_MS))) / HOUR_MS)
    if (index < 0 || index > 23) continue
    hourly[index].accepted += m.accepted
    hourly[index].synced += m.synced
    hourly[index].failed += m.failed
  }
  return { windows: { '1h': windowOf(since(HOUR_MS)), '24h': windowOf(since(DAY_MS)) }, hourly }
}

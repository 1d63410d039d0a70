import type { Queryable } from '../db/client.ts'
import { emptyLatencyCounts, type LatencyCounts } from '../lib/latency-histogram.ts'

/** The SQL of activity_minutes: what every replica counted, added up per minute. */

export interface ActivityCounts {
  /** Requests stored by intake (202 or 200). */
  accepted: number
  /** API requests answered, and those answered with a 5xx. */
  requests: number
  serverErrors: number
  /** Requests settled by the sync. */
  synced: number
  failed: number
  /** Attempts sent to HubSpot; of those, answered 429; and failed otherwise (5xx, timeouts, network, 4xx but 404). */
  hubspotCalls: number
  hubspotRateLimited: number
  hubspotErrors: number
  /** 202 → synced latencies of the requests synced, per bucket. */
  syncLatency: LatencyCounts
}

export type ActivityMinute = ActivityCounts & { minute: Date }

export function emptyActivityCounts (): ActivityCounts {
  return {
    accepted: 0,
    requests: 0,
    serverErrors: 0,
    synced: 0,
    failed: 0,
    hubspotCalls: 0,
    hubspotRateLimited: 0,
    hubspotErrors: 0,
    syncLatency: emptyLatencyCounts()
  }
}

/**
 * Adds counts to their minutes: several replicas add to the same rows, each its own counts,
 * so nothing is counted twice and nothing overwritten. Rows are locked in minute order.
 */
export async function addActivity (sql: Queryable, minutes: ActivityMinute[]): Promise<void> {
  if (minutes.length === 0) return
  const rows = [...minutes].sort((a, b) => a.minute.getTime() - b.minute.getTime()).map((m) => ({ ...m, minute: m.minute.toISOString() }))
  await sql`
    INSERT INTO activity_minutes AS a (minute, accepted, requests, server_errors, synced, failed,
                                       hubspot_calls, hubspot_rate_limited, hubspot_errors, sync_latency)
    SELECT minute, accepted, requests, "serverErrors", synced, failed, "hubspotCalls", "hubspotRateLimited", "hubspotErrors",
           ARRAY(SELECT jsonb_array_elements_text("syncLatency")::bigint)
    FROM jsonb_to_recordset(${sql.json(rows)}) AS r(minute timestamptz, accepted bigint, requests bigint, "serverErrors" bigint,
      synced bigint, failed bigint, "hubspotCalls" bigint, "hubspotRateLimited" bigint, "hubspotErrors" bigint, "syncLatency" jsonb)
    ON CONFLICT (minute) DO UPDATE SET
      accepted = a.accepted + excluded.accepted,
      requests = a.requests + excluded.requests,
      server_errors = a.server_errors + excluded.server_errors,
      synced = a.synced + excluded.synced,
      failed = a.failed + excluded.failed,
      hubspot_calls = a.hubspot_calls + excluded.hubspot_calls,
      hubspot_rate_limited = a.hubspot_rate_limited + excluded.hubspot_rate_limited,
      hubspot_errors = a.hubspot_errors + excluded.hubspot_errors,
      sync_latency = ARRAY(
        SELECT coalesce(old, 0) + coalesce(new, 0) FROM unnest(a.sync_latency, excluded.sync_latency) WITH ORDINALITY AS l(old, new, i) ORDER BY i
      )`
}

/**
 * The minutes after `since`, oldest first: at most 1,440 rows a day, whatever the traffic.
 * Counts come as float8 and the latency buckets as text ("{1,0,2}"): postgres.js parses those
 * far faster than bigints (strings) and bigint arrays (11 ms against 35 ms a day, measured).
 */
export async function readActivity (sql: Queryable, since: Date): Promise<ActivityMinute[]> {
  const rows = await sql<Array<Omit<ActivityMinute, 'syncLatency'> & { syncLatency: string }>>`
    SELECT minute, accepted::float8, requests::float8, server_errors::float8 AS "serverErrors", synced::float8, failed::float8,
           hubspot_calls::float8 AS "hubspotCalls", hubspot_rate_limited::float8 AS "hubspotRateLimited",
           hubspot_errors::float8 AS "hubspotErrors", sync_latency::text AS "syncLatency"
    FROM activity_minutes WHERE minute > ${since} ORDER BY minute`
  return rows.map((row) => ({ ...row, syncLatency: row.syncLatency.length <= 2 ? [] : row.syncLatency.slice(1, -1).split(',').map(Number) }))
}

/** Drops minutes older than `before`; returns how many. */
export async function deleteActivityBefore (sql: Queryable, before: Date): Promise<number> {
  const result = await sql`DELETE FROM activity_minutes WHERE minute < ${before}`
  return result.count
}

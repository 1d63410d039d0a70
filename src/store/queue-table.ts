import type { Queryable } from '../db/client.ts'
import type { PropertyValue } from '../hubspot/contacts.ts'

/** The SQL of sync_queue: one row per email waiting for HubSpot. */

export interface QueueEntry {
  email: string
  properties: Record<string, PropertyValue>
  /** The newest request this claim covers. */
  claimedSeq: string
  /** The row version the claim wrote (its xmin): finishing deletes the row only if nothing changed it since. */
  claimedVersion: string
  attempts: number
}

/**
 * Leases up to `limit` due entries. SKIP LOCKED and the lease keep two claimers apart;
 * a lease left by a crashed process runs out and the entry is claimed again.
 */
export async function claimEntries (sql: Queryable, limit: number, leaseMs: number): Promise<QueueEntry[]> {
  return sql<QueueEntry[]>`
    WITH due AS (
      SELECT email FROM sync_queue
      WHERE next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
      ORDER BY next_attempt_at, first_queued_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE sync_queue q
    SET lease_until = now() + make_interval(secs => ${leaseMs / 1000}), claimed_seq = q.last_request_seq, attempts = q.attempts + 1
    FROM due WHERE q.email = due.email
    RETURNING q.email, q.properties, q.claimed_seq::text AS "claimedSeq", q.xmin::text AS "claimedVersion", q.attempts`
}

/**
 * Ends the claims that were settled. An entry that took a merge after its claim stays queued,
 * with everything merged into it, and is due at once. The merge shows in the row's version, not
 * only in its seq: an older request whose transaction merged late (two transactions can number
 * their requests in one order and merge them in the other) leaves the seq as it was.
 */
export async function finishEntries (sql: Queryable, entries: Array<{ email: string, claimedVersion: string }>): Promise<void> {
  if (entries.length === 0) return
  const emails = sql.array(entries.map((e) => e.email))
  const versions = sql.array(entries.map((e) => e.claimedVersion))
  await sql`
    DELETE FROM sync_queue q
    USING unnest(${emails}::text[], ${versions}::xid[]) AS done(email, claimed_version)
    WHERE q.email = done.email AND q.xmin = done.claimed_version`
  await sql`
    UPDATE sync_queue SET lease_until = NULL, claimed_seq = NULL, attempts = 0, last_error = NULL, next_attempt_at = now()
    WHERE email = ANY(${emails}::text[])`
}

/** Gives claims back for a later attempt, after delayMs, recording why. */
export async function retryEntriesLater (sql: Queryable, emails: string[], delayMs: number, error: string): Promise<void> {
  if (emails.length === 0) return
  await sql`
    UPDATE sync_queue
    SET lease_until = NULL, claimed_seq = NULL, last_error = ${error},
        next_attempt_at = now() + make_interval(secs => ${delayMs / 1000})
    WHERE email = ANY(${sql.array(emails)}::text[])`
}

/** Gives claims back untouched, the attempt not counted: the sync paused, or the process is stopping. */
export async function releaseEntries (sql: Queryable, emails: string[], error?: string): Promise<void> {
  if (emails.length === 0) return
  await sql`
    UPDATE sync_queue
    SET lease_until = NULL, claimed_seq = NULL, attempts = greatest(attempts - 1, 0), last_error = coalesce(${error ?? null}, last_error)
    WHERE email = ANY(${sql.array(emails)}::text[])`
}

/** A new leader takes over: no other worker runs, so every lease is stale. */
export async function releaseAllLeases (sql: Queryable): Promise<number> {
  const result = await sql`UPDATE sync_queue SET lease_until = NULL, claimed_seq = NULL WHERE lease_until IS NOT NULL`
  return result.count
}

export async function queueStats (sql: Queryable): Promise<{ pending: number, oldestPendingSeconds: number | null }> {
  const [row] = await sql<{ pending: number, oldestPendingSeconds: number | null }[]>`
    SELECT count(*)::int AS pending,
           round(extract(epoch FROM now() - min(first_queued_at)))::int AS "oldestPendingSeconds"
    FROM sync_queue`
  return row
}

/** How many entries are due (counting up to `limit`) and how long the oldest has waited. */
export async function dueBacklog (sql: Queryable, limit: number): Promise<{ due: number, oldestMs: number }> {
  const [row] = await sql<{ due: number, oldestMs: number }[]>`
    SELECT count(*)::int AS due, coalesce(extract(epoch FROM now() - min(first_queued_at)) * 1000, 0)::float8 AS "oldestMs"
    FROM (
      SELECT first_queued_at FROM sync_queue
      WHERE next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())
      ORDER BY next_attempt_at, first_queued_at
      LIMIT ${limit}
    ) due`
  return row
}

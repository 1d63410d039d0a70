import type { Queryable } from '../db/client.ts'
import type { PropertyValue } from '../hubspot/contacts.ts'

/** The SQL of contact_requests: what was asked, and what became of it. */

// A type, not an interface: sql.json takes it as it is (an interface lacks the index signature JSON needs)
export type NewRequest = { id: string, email: string, properties: Record<string, PropertyValue> }

export type RequestStatus = 'queued' | 'syncing' | 'synced' | 'failed'

export interface RequestState {
  id: string
  email: string
  status: RequestStatus
  attempts: number
  hubspotId: string | null
  created: boolean | null
  error: string | null
  createdAt: Date
  syncedAt: Date | null
}

/**
 * Stores requests and merges each into its email's queue row, in one statement: the
 * latest value of each property wins, in the order of the requests. Rows are locked in
 * email order, so concurrent groups wait for each other instead of deadlocking.
 * The group travels as one JSON document, not as arrays: PostgreSQL sizes unnest() from the
 * arrays' values and so planned the statement again for each small group (250 µs of server
 * CPU for a group of one, 118 µs with the plan it keeps for a document).
 */
export async function insertRequests (sql: Queryable, requests: NewRequest[]): Promise<void> {
  await sql`
    WITH input AS (
      SELECT * FROM ROWS FROM (jsonb_to_recordset(${sql.json(requests)}) AS (id uuid, email text, properties jsonb))
        WITH ORDINALITY AS i(id, email, properties, position)
    ), inserted AS (
      INSERT INTO contact_requests (id, email, properties)
      SELECT id, email, properties FROM input ORDER BY position
      RETURNING seq, email, properties
    ), merged AS (
      SELECT inserted.email,
             coalesce(jsonb_object_agg(p.key, p.value ORDER BY inserted.seq) FILTER (WHERE p.key IS NOT NULL), '{}') AS properties,
             max(inserted.seq) AS last_request_seq
      FROM inserted LEFT JOIN LATERAL jsonb_each(inserted.properties) AS p ON true
      GROUP BY inserted.email
    )
    INSERT INTO sync_queue (email, properties, last_request_seq)
    SELECT email, properties, last_request_seq FROM merged ORDER BY email
    ON CONFLICT (email) DO UPDATE
      SET properties = sync_queue.properties || excluded.properties,
          last_request_seq = excluded.last_request_seq`
}

/** A request with its live state: 'syncing' while a batch holding it is out at HubSpot. */
export async function findRequest (sql: Queryable, id: string): Promise<RequestState | undefined> {
  const [row] = await sql<RequestState[]>`
    SELECT r.id, r.email, r.hubspot_id AS "hubspotId", r.created, r.created_at AS "createdAt", r.synced_at AS "syncedAt",
           CASE WHEN r.status = 'queued' AND q.claimed_seq >= r.seq AND q.lease_until > now() THEN 'syncing' ELSE r.status END AS status,
           CASE WHEN r.status = 'queued' THEN coalesce(q.attempts, 0) ELSE r.attempts END AS attempts,
           coalesce(r.error, CASE WHEN r.status = 'queued' THEN q.last_error END) AS error
    FROM contact_requests r
    LEFT JOIN sync_queue q ON q.email = r.email AND r.status = 'queued'
    WHERE r.id = ${id}`
  return row
}

/** Marks the requests a sync covered (an email's requests up to the claimed seq) with its outcome. */
export async function settleRequests (sql: Queryable, outcomes: Array<{
  email: string
  claimedSeq: string
  attempts: number
  status: 'synced' | 'failed'
  hubspotId: string | null
  created: boolean | null
  error: string | null
}>): Promise<void> {
  if (outcomes.length === 0) return
  const column = <K extends keyof (typeof outcomes)[number]>(key: K) => outcomes.map((o) => o[key] === null ? null : String(o[key]))
  await sql`
    UPDATE contact_requests r
    SET status = o.status, attempts = o.attempts::int, hubspot_id = o.hubspot_id, created = o.created::boolean,
        error = o.error, synced_at = CASE WHEN o.status = 'synced' THEN now() END
    FROM unnest(${sql.array(column('email'))}::text[], ${sql.array(column('claimedSeq'))}::bigint[],
                ${sql.array(column('attempts'))}::text[], ${sql.array(column('status'))}::text[],
                ${sql.array(column('hubspotId'))}::text[], ${sql.array(column('created'))}::text[], ${sql.array(column('error'))}::text[])
      AS o(email, claimed_seq, attempts, status, hubspot_id, created, error)
    WHERE r.email = o.email AND r.seq <= o.claimed_seq AND r.status = 'queued'`
}

export async function countFailedRequests (sql: Queryable): Promise<number> {
  const [{ count }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM contact_requests WHERE status = 'failed'`
  return count
}

/**
 * Deletes up to `limit` requests synced more than `days` ago (counted from the sync: one synced
 * late, after an outage, stays readable for the whole period); returns how many. Failed and
 * queued requests are never touched. No index serves it, so that neither intake nor the sync
 * pays for one: the scan stops at the limit, and only a sweep's last statement reads the whole
 * table (120–185 ms a million rows). The condition is checked again on each row deleted.
 */
export async function deleteSyncedRequests (sql: Queryable, days: number, limit: number): Promise<number> {
  const result = await sql`
    DELETE FROM contact_requests
    WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM contact_requests WHERE status = 'synced' AND synced_at < now() - make_interval(days => ${days}) LIMIT ${limit}
    )) AND status = 'synced' AND synced_at < now() - make_interval(days => ${days})`
  return result.count
}

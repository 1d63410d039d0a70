import type { Queryable, Sql } from '../db/client.ts'
import type { PropertyValue } from '../hubspot/contacts.ts'

/** The SQL of contact_requests: what was asked, and what became of it. */

// A type, not an interface: sql.json takes it as it is (an interface lacks the index signature JSON needs)
export type NewRequest = { id: string, email: string, properties: Record<string, PropertyValue> }

export type RequestStatus = 'queued' | 'syncing' | 'synced' | 'failed' | 'replayed'

export interface RequestState {
  id: string
  email: string
  status: RequestStatus
  attempts: number
  hubspotId: string | null
  created: boolean | null
  error: string | null
  /** The request that sent this one again ('replayed'). */
  replayedAs: string | null
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
  if (new Set(requests.map((r) => r.email)).size === requests.length) return insertRequestsOfDistinctEmails(sql, requests)
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
    ${mergeIntoQueueRow(sql)}`
}

/**
 * The common group, one request per email, with nothing to merge within it: each request goes
 * to its queue row as it is. Skipping the merge's jsonb_each and aggregation took PostgreSQL's
 * CPU for the statement from 26–30 to 19–21 µs a row in groups of 40.
 */
async function insertRequestsOfDistinctEmails (sql: Queryable, requests: NewRequest[]): Promise<void> {
  await sql`
    WITH inserted AS (
      INSERT INTO contact_requests (id, email, properties)
      SELECT id, email, properties FROM jsonb_to_recordset(${sql.json(requests)}) AS i(id uuid, email text, properties jsonb)
      RETURNING seq, email, properties
    )
    INSERT INTO sync_queue (email, properties, last_request_seq)
    SELECT email, properties, seq FROM inserted ORDER BY email
    ${mergeIntoQueueRow(sql)}`
}

/**
 * The merge into an email's queue row: the newer request's values win, and the row keeps the
 * newest seq, whichever transaction merges first. Two can number their requests in one order
 * and merge them in the other (a keyed post beside a group, or both colors during a switch);
 * taking the later merge as the newer left the newest request queued with no row to send it.
 */
function mergeIntoQueueRow (sql: Queryable) {
  return sql`
    ON CONFLICT (email) DO UPDATE
      SET properties = CASE WHEN excluded.last_request_seq > sync_queue.last_request_seq
                            THEN sync_queue.properties || excluded.properties
                            ELSE excluded.properties || sync_queue.properties END,
          last_request_seq = greatest(sync_queue.last_request_seq, excluded.last_request_seq)`
}

/** A request with its live state: 'syncing' while a batch holding it is out at HubSpot. */
export async function findRequest (sql: Queryable, id: string): Promise<RequestState | undefined> {
  const [row] = await sql<RequestState[]>`
    SELECT r.id, r.email, r.hubspot_id AS "hubspotId", r.created, r.created_at AS "createdAt", r.synced_at AS "syncedAt",
           r.replayed_as AS "replayedAs",
           CASE WHEN r.status = 'queued' AND q.claimed_seq >= r.seq AND q.lease_until > now() THEN 'syncing' ELSE r.status END AS status,
           CASE WHEN r.status = 'queued' THEN coalesce(q.attempts, 0) ELSE r.attempts END AS attempts,
           coalesce(r.error, CASE WHEN r.status = 'queued' THEN q.last_error END) AS error
    FROM contact_requests r
    LEFT JOIN sync_queue q ON q.email = r.email AND r.status = 'queued'
    WHERE r.id = ${id}`
  return row
}

/** What a settle changed: requests synced and failed, and how long each synced one took from its 202. */
export interface SettledRequests { synced: number, failed: number, syncedLatenciesMs: number[] }

/** Where a page of a listing ends: the next page starts after this request. */
export interface ListCursor { createdAt: string, id: string }

/**
 * Requests with a settled status ('failed' or 'replayed'), newest first, `limit` at a time
 * after `after`: each status has its own partial index in this order.
 */
export async function listRequests (sql: Queryable, query: { status: 'failed' | 'replayed', limit: number, after?: ListCursor }): Promise<{
  items: RequestState[]
  next: ListCursor | null
}> {
  const { status, limit, after } = query
  const rows = await sql<Array<RequestState & { createdAtText: string }>>`
    SELECT id, email, status, attempts, hubspot_id AS "hubspotId", created, error, replayed_as AS "replayedAs",
           created_at AS "createdAt", synced_at AS "syncedAt", created_at::text AS "createdAtText"
    FROM contact_requests
    WHERE status = ${status} ${after === undefined ? sql`` : sql`AND (created_at, id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`}
    ORDER BY created_at DESC, id DESC
    LIMIT ${limit + 1}`
  const items = rows.slice(0, limit)
  const last = items.at(-1)
  const next = rows.length > limit && last ? { createdAt: last.createdAtText, id: last.id } : null
  return { items: items.map(({ createdAtText: _text, ...item }) => item), next }
}

/** Which failed requests to send again: one by id, or every match created before a moment. */
export type ReplaySelection =
  | { id: string }
  | { errorContains?: string, since?: Date, createdBefore: Date }

export interface Replay { replayedId: string, request: NewRequest }

/**
 * Sends failed requests again as new requests, in one transaction: each new request holds the
 * failed one's properties except those a later request for the same email has set (those are
 * newer), is stored and queued like any other, and the failed request becomes 'replayed',
 * pointing at it. Locked first, so a request is replayed once, however many ask at the same
 * moment. Finding the later requests reads contact_requests once per call (no index on email
 * for every status: intake would pay for it), so bulk replays come `limit` at a time.
 */
export async function replayFailedRequests (sql: Sql, selection: ReplaySelection, limit: number, newId: () => string): Promise<Replay[]> {
  return sql.begin(async (tx) => {
    const filter = 'id' in selection
      ? tx`id = ${selection.id}::uuid`
      : tx`created_at < ${selection.createdBefore}
        ${selection.since === undefined ? tx`` : tx`AND created_at >= ${selection.since}`}
        ${selection.errorContains === undefined ? tx`` : tx`AND strpos(lower(coalesce(error, '')), lower(${selection.errorContains})) > 0`}`
    const chosen = await tx<Array<{ id: string, email: string, properties: Record<string, PropertyValue> }>>`
      WITH chosen AS (
        SELECT id, email, seq, properties FROM contact_requests
        WHERE status = 'failed' AND ${filter}
        ORDER BY seq LIMIT ${limit}
        FOR UPDATE
      ), newer AS (
        SELECT DISTINCT c.id, k.key
        FROM chosen c
        JOIN contact_requests later ON later.email = c.email AND later.seq > c.seq
        CROSS JOIN LATERAL jsonb_object_keys(later.properties) AS k(key)
      )
      SELECT c.id, c.email,
             coalesce(jsonb_object_agg(p.key, p.value) FILTER (
               WHERE p.key IS NOT NULL AND NOT EXISTS (SELECT 1 FROM newer n WHERE n.id = c.id AND n.key = p.key)
             ), '{}') AS properties
      FROM chosen c LEFT JOIN LATERAL jsonb_each(c.properties) AS p ON true
      GROUP BY c.id, c.email, c.seq
      ORDER BY c.seq`
    if (chosen.length === 0) return []
    const replays = chosen.map((row) => ({ replayedId: row.id, request: { id: newId(), email: row.email, properties: row.properties } }))
    await insertRequests(tx, replays.map((replay) => replay.request))
    const links = replays.map((replay) => ({ old: replay.replayedId, new: replay.request.id }))
    await tx`
      UPDATE contact_requests r SET status = 'replayed', replayed_as = l.new, replayed_at = now()
      FROM jsonb_to_recordset(${tx.json(links)}) AS l(old uuid, new uuid)
      WHERE r.id = l.old`
    return replays
  })
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
}>): Promise<SettledRequests> {
  const settled: SettledRequests = { synced: 0, failed: 0, syncedLatenciesMs: [] }
  if (outcomes.length === 0) return settled
  const column = <K extends keyof (typeof outcomes)[number]>(key: K) => outcomes.map((o) => o[key] === null ? null : String(o[key]))
  const rows = await sql<Array<{ status: 'synced' | 'failed', latencyMs: number }>>`
    UPDATE contact_requests r
    SET status = o.status, attempts = o.attempts::int, hubspot_id = o.hubspot_id, created = o.created::boolean,
        error = o.error, synced_at = CASE WHEN o.status = 'synced' THEN now() END
    FROM unnest(${sql.array(column('email'))}::text[], ${sql.array(column('claimedSeq'))}::bigint[],
                ${sql.array(column('attempts'))}::text[], ${sql.array(column('status'))}::text[],
                ${sql.array(column('hubspotId'))}::text[], ${sql.array(column('created'))}::text[], ${sql.array(column('error'))}::text[])
      AS o(email, claimed_seq, attempts, status, hubspot_id, created, error)
    WHERE r.email = o.email AND r.seq <= o.claimed_seq AND r.status = 'queued'
    RETURNING r.status, extract(epoch FROM r.synced_at - r.created_at)::float8 * 1000 AS "latencyMs"`
  for (const row of rows) {
    if (row.status === 'synced') {
      settled.synced++
      settled.syncedLatenciesMs.push(row.latencyMs)
    } else {
      settled.failed++
    }
  }
  return settled
}

export async function countFailedRequests (sql: Queryable): Promise<number> {
  const [{ count }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM contact_requests WHERE status = 'failed'`
  return count
}

function settledBefore (sql: Queryable, days: number) {
  const cutoff = sql`now() - make_interval(days => ${days})`
  return sql`((status = 'synced' AND synced_at < ${cutoff}) OR (status = 'replayed' AND replayed_at < ${cutoff}))`
}

/**
 * Deletes up to `limit` requests synced (or replayed) more than `days` ago (counted from the sync: one synced
 * late, after an outage, stays readable for the whole period); returns how many. Failed and
 * queued requests are never touched. No index serves it, so that neither intake nor the sync
 * pays for one: the scan stops at the limit, and only a sweep's last statement reads the whole
 * table (120–185 ms a million rows). The condition is checked again on each row deleted.
 */
export async function deleteSyncedRequests (sql: Queryable, days: number, limit: number): Promise<number> {
  const result = await sql`
    DELETE FROM contact_requests
    WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM contact_requests WHERE ${settledBefore(sql, days)} LIMIT ${limit}
    )) AND ${settledBefore(sql, days)}`
  return result.count
}

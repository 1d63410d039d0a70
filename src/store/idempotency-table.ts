import type { Queryable } from '../db/client.ts'

/** The SQL of idempotency_keys: the request each Idempotency-Key stored, per API key, for 24 hours. */

export interface IdempotencyKey {
  /** SHA-256 of the caller's API key, hex; '' when the service runs without keys. */
  keyId: string
  key: string
}

export interface StoredUnderKey {
  bodyHash: string
  requestId: string
}

// How long a key answers with its first request; an older key counts as new
const KEY_LIFETIME = '24 hours'

/**
 * Takes the key for a request: true when the key is new or expired (its row is then taken over),
 * false when a live row holds it. Either way the row stays locked to the end of the transaction,
 * and a concurrent taker of the same key waits here for the first one's commit, then gets false.
 */
export async function claimIdempotencyKey (sql: Queryable, key: IdempotencyKey, stored: StoredUnderKey): Promise<boolean> {
  const rows = await sql`
    INSERT INTO idempotency_keys (key_id, key, body_hash, request_id)
    VALUES (${key.keyId}, ${key.key}, ${stored.bodyHash}, ${stored.requestId})
    ON CONFLICT (key_id, key) DO UPDATE
      SET body_hash = excluded.body_hash, request_id = excluded.request_id, created_at = now()
      WHERE idempotency_keys.created_at < now() - ${KEY_LIFETIME}::interval
    RETURNING 1`
  return rows.length === 1
}

/** The row a claim found live; read in the claim's transaction, which holds its lock. */
export async function findIdempotencyKey (sql: Queryable, key: IdempotencyKey): Promise<StoredUnderKey> {
  const [row] = await sql<StoredUnderKey[]>`
    SELECT body_hash AS "bodyHash", request_id AS "requestId" FROM idempotency_keys
    WHERE key_id = ${key.keyId} AND key = ${key.key}`
  return row
}

/**
 * Deletes up to `limit` expired keys; returns how many. The table holds a day of keys, so the
 * scan without an index on created_at is short, and keyed posts pay no second index insertion.
 * The condition is checked again on the row deleted: a key taken over meanwhile is live again.
 */
export async function deleteExpiredIdempotencyKeys (sql: Queryable, limit: number): Promise<number> {
  const result = await sql`
    DELETE FROM idempotency_keys
    WHERE ctid = ANY(ARRAY(
      SELECT ctid FROM idempotency_keys WHERE created_at < now() - ${KEY_LIFETIME}::interval LIMIT ${limit}
    )) AND created_at < now() - ${KEY_LIFETIME}::interval`
  return result.count
}

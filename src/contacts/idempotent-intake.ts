import { createHash } from 'node:crypto'
import type { Sql } from '../db/client.ts'
import { createTurnBatcher } from '../lib/turn-batcher.ts'
import { DatabaseUnavailableError, readWithin } from '../db/unavailable.ts'
import { claimIdempotencyKey, findIdempotencyKey, type IdempotencyKey } from '../store/idempotency-table.ts'
import { insertRequests, type NewRequest } from '../store/requests-table.ts'

export interface IdempotentIntake {
  /**
   * Stores the request under its key, or finds the request the key stored within 24 h: resolves
   * with the id to answer with (`replay`: the first request's, nothing stored). Rejects with
   * IdempotencyKeyReusedError when that request asked something else, with
   * DatabaseUnavailableError when the database is away or past the deadline.
   */
  accept: (request: NewRequest, key: IdempotencyKey) => Promise<Accepted>
}

export interface Accepted { id: string, replay: boolean }

/** The key stored another request within 24 h: a 422, and nothing stored. */
export class IdempotencyKeyReusedError extends Error {
  name = 'IdempotencyKeyReusedError'
  statusCode = 422
}

interface KeyedPost {
  request: NewRequest
  key: IdempotencyKey
  bodyHash: string
  /** The caller has had its 503. */
  refused: boolean
}

/** SHA-256 (hex) of what was asked: the email (already normalized) and the properties sorted by name. */
function requestHash ({ email, properties }: NewRequest): string {
  const sorted = Object.entries(properties).sort(([a], [b]) => (a < b ? -1 : 1))
  return createHash('sha256').update(JSON.stringify([email, sorted])).digest('hex')
}

/**
 * Takes the key and stores the request in one transaction, so that a key never names a request
 * that was not stored. A concurrent post with the same key waits on the first one's row lock,
 * then answers with its id.
 */
async function storeOnce (sql: Sql, post: KeyedPost): Promise<Accepted> {
  const { request, key, bodyHash } = post
  return sql.begin(async (tx) => {
    if (await claimIdempotencyKey(tx, key, { bodyHash, requestId: request.id })) {
      await insertRequests(tx, [request])
      // Rolled back, so that what was refused is not stored behind the caller's back
      if (post.refused) throw new DatabaseUnavailableError('the database did not commit in time')
      return { id: request.id, replay: false }
    }
    const first = await findIdempotencyKey(tx, key)
    if (first.bodyHash !== bodyHash) {
      throw new IdempotencyKeyReusedError(
        'This Idempotency-Key was used within the last 24 hours with a different body: a new request needs a new key'
      )
    }
    return { id: first.requestId, replay: true }
  })
}

/**
 * Posts with an Idempotency-Key, each in a transaction of its own, outside the group commit
 * that serves posts without a key. A transaction holds its connection for four round trips:
 * at most `maxInFlight` at a time, or keyed posts take the pool from the group commit (100 at
 * once, unbounded, took posts without a key from about 12,000 to 500 a second; bounded at 2,
 * to 10,000); the others wait their turn within the deadline.
 */
export function createIdempotentIntake (sql: Sql, options: { deadlineMs: number, maxInFlight: number }): IdempotentIntake {
  const transactions = createTurnBatcher(
    async ([post]: KeyedPost[]) => [await storeOnce(sql, post)],
    { maxInFlight: options.maxInFlight, maxGroup: 1 }
  )
  return {
    accept (request, key) {
      const post: KeyedPost = { request, key, bodyHash: requestHash(request), refused: false }
      return readWithin(transactions.submit(post), options.deadlineMs, (refusal) => {
        post.refused = true
        // Not begun yet: dropped
        transactions.withdraw(post, refusal)
      })
    }
  }
}

import type { Sql } from '../db/client.ts'
import { createTurnBatcher, type TurnBatcherOptions } from '../lib/turn-batcher.ts'
import { DatabaseUnavailableError, UnstorableValueError, isDataError, isDatabaseUnavailable, isRetryableConflict } from '../db/unavailable.ts'
import { insertRequests, type NewRequest } from '../store/requests-table.ts'

export interface Intake {
  /**
   * Resolves once the request is committed; rejects with DatabaseUnavailableError when the
   * database is away or past the deadline, with UnstorableValueError when its own data cannot be stored.
   */
  accept: (request: NewRequest) => Promise<void>
}

/**
 * Group commit: requests that arrive while a commit is under way are stored together in
 * the next one, so the hot path costs one short statement per group, not per request.
 * A request is refused when no commit at all has finished within the deadline (the
 * database is away); while commits keep finishing, a queued request keeps waiting its turn.
 */
export function createIntake (sql: Sql, options: TurnBatcherOptions & { deadlineMs: number }): Intake {
  let lastCommitAt = 0
  const commits = createTurnBatcher(async (requests: NewRequest[]) => {
    const refusals = await storeIsolatingBadData(sql, requests)
    lastCommitAt = performance.now()
    return refusals
  }, options)

  return {
    accept (request) {
      return new Promise<void>((resolve, reject) => {
        const checkDeadline = () => {
          if (performance.now() - lastCommitAt < options.deadlineMs) {
            timer = setTimeout(checkDeadline, options.deadlineMs / 4)
            return
          }
          const refused = new DatabaseUnavailableError('the database did not commit in time')
          // Not sent yet: dropped, so that what was refused is not stored behind the caller's back
          commits.withdraw(request, refused)
          reject(refused)
        }
        let timer = setTimeout(checkDeadline, options.deadlineMs)
        commits.submit(request).then(
          (refusal) => {
            clearTimeout(timer)
            if (refusal) reject(refusal)
            else resolve()
          },
          (error: Error) => {
            clearTimeout(timer)
            reject(isDatabaseUnavailable(error) ? new DatabaseUnavailableError(error.message, { cause: error }) : error)
          }
        )
      })
    }
  }
}

/**
 * Stores a group; when PostgreSQL refuses its data (a NUL character, say), halves it until the
 * requests that hold such data are alone, so that one caller's bad value never fails another's
 * contact. One refusal per request, undefined for those stored.
 */
async function storeIsolatingBadData (sql: Sql, requests: NewRequest[]): Promise<Array<UnstorableValueError | undefined>> {
  try {
    await insertWithRetry(sql, requests)
    return requests.map(() => undefined)
  } catch (error) {
    if (!isDataError(error)) throw error
    if (requests.length === 1) return [new UnstorableValueError('The contact holds a value PostgreSQL cannot store')]
    const middle = Math.ceil(requests.length / 2)
    return [...await storeIsolatingBadData(sql, requests.slice(0, middle)), ...await storeIsolatingBadData(sql, requests.slice(middle))]
  }
}

// A deadlock with the sync worker's updates costs a retry, not a refused contact
async function insertWithRetry (sql: Sql, requests: NewRequest[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await insertRequests(sql, requests)
    } catch (error) {
      if (attempt >= 3 || !isRetryableConflict(error)) throw error
    }
  }
}

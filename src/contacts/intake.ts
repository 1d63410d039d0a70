import type { Sql } from '../db/client.ts'
import { createTurnBatcher, type TurnBatcherOptions } from '../db/turn-batcher.ts'
import { DatabaseUnavailableError } from '../db/unavailable.ts'
import { insertRequests, type NewRequest } from './requests-table.ts'

export interface Intake {
  /** Resolves once the request is committed; rejects with DatabaseUnavailableError past the deadline. */
  accept: (request: NewRequest) => Promise<void>
}

const DEADLOCK = '40P01'
const SERIALIZATION_FAILURE = '40001'

/**
 * Group commit: requests that arrive while a commit is under way are stored together in
 * the next one, so the hot path costs one short statement per group, not per request.
 * A request is refused when no commit at all has finished within the deadline (the
 * database is away); while commits keep finishing, a queued request keeps waiting its turn.
 */
export function createIntake (sql: Sql, options: TurnBatcherOptions & { deadlineMs: number }): Intake {
  let lastCommitAt = 0
  const commits = createTurnBatcher(async (requests: NewRequest[]) => {
    await insertWithRetry(sql, requests)
    lastCommitAt = performance.now()
    return requests.map(() => undefined)
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
          () => { clearTimeout(timer); resolve() },
          (error: Error) => { clearTimeout(timer); reject(error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error.message)) }
        )
      })
    }
  }
}

// A deadlock with the sync worker's updates costs a retry, not a refused contact
async function insertWithRetry (sql: Sql, requests: NewRequest[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await insertRequests(sql, requests)
    } catch (error) {
      const code = (error as { code?: string }).code
      if (attempt >= 3 || (code !== DEADLOCK && code !== SERIALIZATION_FAILURE)) throw error
    }
  }
}

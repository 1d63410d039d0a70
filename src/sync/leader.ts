import type { Sql } from '../db/client.ts'
import { sleep, within } from '../lib/waiting.ts'

// Shared by every replica: whoever holds it runs the sync worker
const SYNC_LEADER_LOCK_ID = 7_426_002

export interface LeaderOptions {
  /** How often a follower tries to take over, and the leader checks it still holds the lock. */
  checkIntervalMs: number
  onError: (error: unknown) => void
}

/**
 * Runs `lead` while this process holds a session-level advisory lock on a connection of
 * its own. Ending that connection always ends the session and frees the lock, whatever
 * state the connection is in; when the leader dies, another replica takes over within one
 * check interval. `lead` sees its signal aborted when leadership ends.
 */
export async function runAsLeader (
  connect: () => Sql,
  stop: AbortSignal,
  options: LeaderOptions,
  lead: (leadership: AbortSignal) => Promise<void>
): Promise<void> {
  // A query that gets no answer within the interval counts as a lost connection
  const ask = (query: Promise<unknown>) => within(query.then(() => true), options.checkIntervalMs)

  while (!stop.aborted) {
    const lockSql = connect()
    try {
      let acquired = false
      const taken = await ask(lockSql<{ acquired: boolean }[]>`SELECT pg_try_advisory_lock(${SYNC_LEADER_LOCK_ID}) AS acquired`
        .then(([row]) => { acquired = row.acquired }))
      if (taken && acquired && !stop.aborted) {
        const leadership = new AbortController()
        const abortOnStop = () => leadership.abort()
        stop.addEventListener('abort', abortOnStop)
        const heartbeat = (async () => {
          while (!leadership.signal.aborted) {
            await sleep(options.checkIntervalMs, leadership.signal)
            if (leadership.signal.aborted) break
            const answered = await ask(lockSql`SELECT 1`).catch((error: unknown) => {
              options.onError(error)
              return false
            })
            if (!answered) leadership.abort()
          }
        })()
        try {
          await lead(leadership.signal)
        } finally {
          leadership.abort()
          stop.removeEventListener('abort', abortOnStop)
          await heartbeat
        }
      }
    } catch (error) {
      options.onError(error)
    } finally {
      // Ends the session, and the lock with it, even on a connection that hangs
      await lockSql.end({ timeout: 0 })
    }
    await sleep(options.checkIntervalMs, stop)
  }
}

import type { Sql } from '../db/client.ts'

// Shared by every replica: whoever holds it runs the sync worker
const SYNC_LEADER_LOCK_ID = 7_426_002

export interface LeaderOptions {
  /** How often a follower tries to take over, and the leader checks it still holds the lock. */
  checkIntervalMs: number
  onError: (error: unknown) => void
}

function delay (ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done () {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done)
  })
}

/**
 * Runs `lead` while this process holds the session-level advisory lock on a reserved
 * connection. When that connection dies, PostgreSQL frees the lock and another replica
 * takes over within one check interval; `lead` sees its signal aborted.
 */
export async function runAsLeader (sql: Sql, stop: AbortSignal, options: LeaderOptions, lead: (leadership: AbortSignal) => Promise<void>): Promise<void> {
  while (!stop.aborted) {
    let connection: Awaited<ReturnType<Sql['reserve']>> | undefined
    try {
      connection = await sql.reserve()
      const [{ acquired }] = await connection<{ acquired: boolean }[]>`SELECT pg_try_advisory_lock(${SYNC_LEADER_LOCK_ID}) AS acquired`
      if (acquired) {
        const leadership = new AbortController()
        const abortOnStop = () => leadership.abort()
        stop.addEventListener('abort', abortOnStop)
        // Stopped while the lock was being taken: lead not at all
        if (stop.aborted) leadership.abort()
        const heldConnection = connection
        const heartbeat = (async () => {
          while (!leadership.signal.aborted) {
            await delay(options.checkIntervalMs, leadership.signal)
            if (leadership.signal.aborted) break
            try {
              await heldConnection`SELECT 1`
            } catch (error) {
              options.onError(error)
              leadership.abort()
            }
          }
        })()
        try {
          await lead(leadership.signal)
        } finally {
          leadership.abort()
          stop.removeEventListener('abort', abortOnStop)
          await heartbeat
          await heldConnection`SELECT pg_advisory_unlock(${SYNC_LEADER_LOCK_ID})`.catch(() => {})
        }
      }
    } catch (error) {
      options.onError(error)
    } finally {
      connection?.release()
    }
    await delay(options.checkIntervalMs, stop)
  }
}

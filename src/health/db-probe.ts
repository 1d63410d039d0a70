import type { Sql } from '../db/client.ts'
import { within } from '../lib/waiting.ts'

export interface DbHealth { ok: boolean, latencyMs: number | null }

/**
 * Asks the database `SELECT 1` but answers within timeoutMs whatever the database does.
 * Concurrent probes share one query, so a hanging database ties up at most one connection.
 */
export function createDbProbe (sql: Sql, timeoutMs: number): () => Promise<DbHealth> {
  let inFlight: Promise<DbHealth> | undefined
  return function probe () {
    inFlight ??= (async () => {
      const started = performance.now()
      const answered = sql`SELECT 1`.then(() => true, () => false)
      // A hung query keeps the slot until it settles: no pile-up of probes behind it
      answered.finally(() => { inFlight = undefined })
      const ok = await within(answered, timeoutMs)
      return { ok, latencyMs: ok ? Math.round((performance.now() - started) * 10) / 10 : null }
    })()
    return inFlight
  }
}

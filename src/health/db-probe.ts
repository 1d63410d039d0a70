import type { Sql } from '../db/client.ts'

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
      let timer: NodeJS.Timeout | undefined
      const timedOut = new Promise<false>((resolve) => { timer = setTimeout(resolve, timeoutMs, false) })
      const answered = sql`SELECT 1`.then(() => true, () => false)
      try {
        const ok = await Promise.race([answered, timedOut])
        return { ok, latencyMs: ok ? Math.round((performance.now() - started) * 10) / 10 : null }
      } finally {
        clearTimeout(timer)
        // A hung query keeps the slot until it settles: no pile-up of probes behind it
        answered.finally(() => { inFlight = undefined })
      }
    })()
    return inFlight
  }
}

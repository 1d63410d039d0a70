import { test } from 'tap'
import { randomUUID } from 'node:crypto'
import { connectSql, type Sql } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import { insertRequests } from '../../src/store/requests-table.ts'
import { runTableUpkeep, DEFAULT_UPKEEP_OPTIONS } from '../../src/sync/upkeep.ts'
import { freshDatabaseUrl } from '../helpers/database.ts'
import type { Teardown } from '../helpers/teardown.ts'

const CONTACTS = 3000

async function migratedDatabase (t: Teardown): Promise<Sql> {
  const sql = connectSql(await freshDatabaseUrl(t), { maxConnections: 1, statementTimeoutMs: 10_000 })
  t.teardown(() => sql.end({ timeout: 1 }))
  await migrate(sql)
  return sql
}

let queued = 0
async function queueContacts (sql: Sql, count: number): Promise<void> {
  for (let done = 0; done < count; done += 500) {
    await insertRequests(sql, Array.from({ length: Math.min(500, count - done) }, () => {
      const n = queued++
      return { id: randomUUID(), email: `c${n}@example.com`, properties: { firstname: `Contact ${n}` } }
    }))
  }
}

/** How the settle's statement (settleRequests) runs, prepared once and reused as postgres.js does. */
async function settlePlan (sql: Sql): Promise<string> {
  const rows = await sql.unsafe<Array<{ 'QUERY PLAN': string }>>('EXPLAIN EXECUTE settle(\'{c1@example.com}\', \'{100000}\')')
  return rows.map((row) => row['QUERY PLAN']).join('\n')
}

async function waitFor (condition: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; !await condition(); tries++) {
    if (tries > 500) throw new Error('the condition never held')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

test('a queue that grew since its statistics were taken is analyzed (and its dead rows vacuumed), and a plan cached while it was empty is made again', async (t) => {
  const sql = await migratedDatabase(t)
  await queueContacts(sql, 1)
  await sql.unsafe(`
    PREPARE settle(text[], bigint[]) AS
    UPDATE contact_requests r SET status = 'synced'
    FROM unnest($1, $2) AS o(email, claimed_seq)
    WHERE r.email = o.email AND r.seq <= o.claimed_seq AND r.status = 'queued'`)
  // PostgreSQL may settle on a generic plan after five executions, as it did in the bench: here at once
  await sql.unsafe('SET plan_cache_mode = force_generic_plan')
  await sql.unsafe('EXECUTE settle(\'{nobody@example.com}\', \'{0}\')')
  await queueContacts(sql, CONTACTS - 1)
  t.match(await settlePlan(sql), /Hash Join[\s\S]*Bitmap Heap Scan on contact_requests/,
    'before the upkeep: the plan made on a near-empty queue reads every queued request')

  const stop = new AbortController()
  const upkeep = runTableUpkeep({ sql, log: { warn: () => {} }, options: { ...DEFAULT_UPKEEP_OPTIONS, checkIntervalMs: 20 } }, stop.signal)
  t.teardown(async () => { stop.abort(); await upkeep })
  await waitFor(async () => {
    const rows = await sql<Array<{ table: string, rows: number }>>`
      SELECT relname AS table, reltuples::int AS rows FROM pg_class WHERE relname IN ('sync_queue', 'contact_requests')`
    return rows.length === 2 && rows.every((row) => row.rows === CONTACTS)
  })
  t.pass('both tables\' statistics count every contact')
  t.same(await sql`SELECT relname AS table, last_vacuum IS NOT NULL AS vacuumed FROM pg_stat_user_tables
    WHERE relname IN ('sync_queue', 'contact_requests') ORDER BY relname`, [
    { table: 'contact_requests', vacuumed: false },
    { table: 'sync_queue', vacuumed: true }
  ], 'the queue, whose rows come and go, vacuumed too; the requests only analyzed')
  t.match(await settlePlan(sql), /Nested Loop[\s\S]*Index Scan using contact_requests_queued_by_email/,
    'after it: the statement looks each email\'s requests up')

  stop.abort()
  await upkeep
  t.pass('the upkeep ends with its signal')
})

test('a table that has not grown is left alone', async (t) => {
  const sql = await migratedDatabase(t)
  await queueContacts(sql, 200)
  const stop = new AbortController()
  const statements: string[] = []
  const watched = new Proxy(sql, {
    get (target, property, receiver) {
      if (property !== 'unsafe') return Reflect.get(target, property, receiver)
      return (text: string) => { statements.push(text); return target.unsafe(text) }
    }
  })
  const upkeep = runTableUpkeep({ sql: watched, log: { warn: () => {} }, options: { ...DEFAULT_UPKEEP_OPTIONS, checkIntervalMs: 10, minPages: 1000 } }, stop.signal)
  await new Promise((resolve) => setTimeout(resolve, 200))
  stop.abort()
  await upkeep
  t.same(statements, [], 'no VACUUM or ANALYZE below the floor')
})

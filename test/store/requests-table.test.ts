import { test } from 'tap'
import type { TransactionSql } from 'postgres'
import { randomUUID } from 'node:crypto'
import { connectSql, type Sql } from '../../src/db/client.ts'
import { migrate } from '../../src/db/migrate.ts'
import type { PropertyValue } from '../../src/hubspot/contacts.ts'
import { claimEntries, finishEntries, type QueueEntry } from '../../src/store/queue-table.ts'
import { insertRequests, settleRequests } from '../../src/store/requests-table.ts'
import { buildTestApp } from '../helpers/app.ts'
import { freshDatabaseUrl, usingRealPostgres } from '../helpers/database.ts'
import type { Teardown } from '../helpers/teardown.ts'

const request = (email: string, properties: Record<string, PropertyValue>) => ({ id: randomUUID(), email, properties })

test('a group is stored and merged into the queue: the latest value of each property wins, in request order, within and across groups', async (t) => {
  const app = await buildTestApp(t)
  const sql = app.sql
  const queued = async () => Object.fromEntries((await sql<Array<{ email: string, properties: Record<string, PropertyValue>, lastIsNewest: boolean }>>`
    SELECT q.email, q.properties, q.last_request_seq = (SELECT max(seq) FROM contact_requests r WHERE r.email = q.email) AS "lastIsNewest"
    FROM sync_queue q`).map((row) => [row.email, { properties: row.properties, lastIsNewest: row.lastIsNewest }]))

  // One request per email (the common group), one of them for an email already queued
  await insertRequests(sql, [request('ada@example.com', { firstname: 'Ada', city: 'London' })])
  await insertRequests(sql, [request('grace@example.com', { firstname: 'Grace' }), request('ada@example.com', { city: 'Paris', company: 'Engines' })])
  t.same(await queued(), {
    'ada@example.com': { properties: { firstname: 'Ada', city: 'Paris', company: 'Engines' }, lastIsNewest: true },
    'grace@example.com': { properties: { firstname: 'Grace' }, lastIsNewest: true }
  })

  // An email twice in one group: its requests merge in their order, onto what was queued
  await insertRequests(sql, [
    request('ada@example.com', { city: 'Rome', lastname: 'Lovelace' }),
    request('alan@example.com', { firstname: 'Alan' }),
    request('ada@example.com', { city: 'Turin' }),
    request('ada@example.com', {})
  ])
  t.same(await queued(), {
    'ada@example.com': { properties: { firstname: 'Ada', city: 'Turin', company: 'Engines', lastname: 'Lovelace' }, lastIsNewest: true },
    'grace@example.com': { properties: { firstname: 'Grace' }, lastIsNewest: true },
    'alan@example.com': { properties: { firstname: 'Alan' }, lastIsNewest: true }
  })
  const [{ requests }] = await sql<{ requests: number }[]>`SELECT count(*)::int AS requests FROM contact_requests WHERE status = 'queued'`
  t.equal(requests, 7, 'every request stored, queued')
})

const NEEDS_TWO_CONNECTIONS = 'needs DATABASE_URL: two transactions at once, one waiting for the other\'s lock'

/**
 * Two transactions store a request for `email`: one holds its queue row while the other numbers
 * its request and then waits for the row; the holder stores a later request, runs `meanwhile`
 * (the sync claiming, say) and commits, and only then does the waiting one merge.
 */
async function mergeInTheOtherOrder (sql: Sql, email: string, meanwhile: (holder: TransactionSql) => Promise<QueueEntry[]>): Promise<QueueEntry[]> {
  let earlier: Promise<void> | undefined
  const result = await sql.begin(async (holder) => {
    await holder`SELECT 1 FROM sync_queue WHERE email = ${email} FOR UPDATE`
    earlier = insertRequests(sql, [request(email, { city: 'Paris', firstname: 'Ada' })])
    await waitUntil(async () => (await sql`SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%sync_queue%'`).length > 0)
    await insertRequests(holder, [request(email, { city: 'Rome' })])
    return meanwhile(holder)
  })
  await earlier
  return result
}

async function queueWithOneContact (t: Teardown, email: string): Promise<Sql> {
  const sql = connectSql(await freshDatabaseUrl(t), { maxConnections: 4, statementTimeoutMs: 5000 })
  t.teardown(() => sql.end({ timeout: 1 }))
  await migrate(sql)
  await insertRequests(sql, [request(email, { city: 'London' })])
  return sql
}

async function settle (sql: Sql, claimed: QueueEntry[]): Promise<void> {
  await settleRequests(sql, claimed.map((e) => ({ ...e, status: 'synced' as const, hubspotId: '1', created: false, error: null })))
  await finishEntries(sql, claimed)
}

test('requests numbered in one order and merged in the other: the queue row keeps the newest request and its values, and one sync settles them all', {
  skip: usingRealPostgres ? false : NEEDS_TWO_CONNECTIONS
}, async (t) => {
  const email = 'ada@example.com'
  const sql = await queueWithOneContact(t, email)
  await mergeInTheOtherOrder(sql, email, async () => [])

  const claimed = await claimEntries(sql, 10, 60_000)
  t.same(claimed.map((e) => e.properties), [{ city: 'Rome', firstname: 'Ada' }], 'the newest city, and the firstname only the earlier request set')
  await settle(sql, claimed)
  t.same(await sql`SELECT seq FROM contact_requests WHERE status = 'queued'`, [], 'no request left queued')
  t.same(await sql`SELECT email FROM sync_queue`, [], 'nothing left on the queue')
})

test('an older request merged after the sync claimed its row is sent next, not dropped with the finished claim', {
  skip: usingRealPostgres ? false : NEEDS_TWO_CONNECTIONS
}, async (t) => {
  const email = 'ada@example.com'
  const sql = await queueWithOneContact(t, email)
  const firstClaim = await mergeInTheOtherOrder(sql, email, (holder) => claimEntries(holder, 10, 60_000))
  t.same(firstClaim.map((e) => e.properties), [{ city: 'Rome' }], 'the claim sends what was merged before it')
  await settle(sql, firstClaim)

  const secondClaim = await claimEntries(sql, 10, 60_000)
  t.same(secondClaim.map((e) => e.properties), [{ city: 'Rome', firstname: 'Ada' }], 'what merged after the claim, under the newer city')
  await settle(sql, secondClaim)
  t.same(await sql`SELECT seq FROM contact_requests WHERE status = 'queued'`, [], 'no request left queued')
  t.same(await sql`SELECT email FROM sync_queue`, [], 'nothing left on the queue')
})

async function waitUntil (condition: () => Promise<boolean>): Promise<void> {
  for (let tries = 0; !await condition(); tries++) {
    if (tries > 200) throw new Error('the condition never held')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

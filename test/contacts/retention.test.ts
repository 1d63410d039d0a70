import { test } from 'tap'
import Fastify, { type FastifyInstance } from 'fastify'
import config from '../../src/config/index.ts'
import database from '../../src/db/index.ts'
import type { Sql } from '../../src/db/client.ts'
import retention, { type RetentionPluginOptions } from '../../src/contacts/retention-plugin.ts'
import { DEFAULT_RETENTION_OPTIONS, sweep } from '../../src/contacts/retention.ts'
import { testEnv } from '../helpers/database.ts'
import { eventually } from '../helpers/sync-stack.ts'
import type { Teardown } from '../helpers/teardown.ts'

/** Configuration and a migrated database of the test's own; the retention job only when asked. */
async function startApp (t: Teardown, env: Record<string, string> = {}, job?: RetentionPluginOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  await app.register(config, { env: await testEnv(t, env) })
  await app.register(database)
  if (job) await app.register(retention, job)
  t.teardown(() => app.close())
  await app.ready()
  return app
}

/** `count` requests named `<label>-<n>@example.com`, created `ageDays` ago and, when synced, synced `syncedDaysAgo` ago. */
async function addRequests (sql: Sql, label: string, count: number, status: 'queued' | 'synced' | 'failed', ageDays: number, syncedDaysAgo = ageDays) {
  await sql`
    INSERT INTO contact_requests (email, status, created_at, synced_at)
    SELECT ${label} || '-' || g || '@example.com', ${status}, now() - make_interval(days => ${ageDays}),
           CASE WHEN ${status} = 'synced' THEN now() - make_interval(days => ${syncedDaysAgo}) END
    FROM generate_series(1, ${count}) AS g`
}

async function labelsLeft (sql: Sql): Promise<Record<string, number>> {
  const rows = await sql<{ label: string, count: number }[]>`
    SELECT split_part(email, '-', 1) AS label, count(*)::int AS count FROM contact_requests GROUP BY 1 ORDER BY 1`
  return Object.fromEntries(rows.map((row) => [row.label, row.count]))
}

const retain30Days = { ...DEFAULT_RETENTION_OPTIONS, retentionDays: 30 }

test('a sweep deletes the requests synced or replayed more than RETENTION_DAYS ago, and keeps failed, queued and recent ones', async (t) => {
  const { sql } = await startApp(t)
  await addRequests(sql, 'oldsynced', 3, 'synced', 31)
  await addRequests(sql, 'oldfailed', 2, 'failed', 31)
  await addRequests(sql, 'oldqueued', 2, 'queued', 31)
  await addRequests(sql, 'recentsynced', 2, 'synced', 29)
  // Created long ago but synced only lately (after an outage, say): kept for the full period from its sync
  await addRequests(sql, 'latesynced', 1, 'synced', 40, 10)

  // Replayed (sent again as a new request) more than the period ago, and lately
  await addRequests(sql, 'oldreplayed', 2, 'failed', 45)
  await sql`UPDATE contact_requests SET status = 'replayed', replayed_at = now() - interval '31 days' WHERE email LIKE 'oldreplayed-%'`
  await addRequests(sql, 'recentreplayed', 1, 'failed', 45)
  await sql`UPDATE contact_requests SET status = 'replayed', replayed_at = now() - interval '29 days' WHERE email LIKE 'recentreplayed-%'`

  t.same(await sweep(sql, retain30Days, new AbortController().signal), { requests: 5, idempotencyKeys: 0 })
  t.same(await labelsLeft(sql), { latesynced: 1, oldfailed: 2, oldqueued: 2, recentreplayed: 1, recentsynced: 2 })
  t.same(await sweep(sql, retain30Days, new AbortController().signal), { requests: 0, idempotencyKeys: 0 }, 'a second sweep finds nothing')
})

test('a sweep deletes idempotency keys older than 24 hours and keeps younger ones', async (t) => {
  const { sql } = await startApp(t)
  await sql`
    INSERT INTO idempotency_keys (key_id, key, body_hash, request_id, created_at)
    SELECT '', age || ' old', 'hash', gen_random_uuid(), now() - age::interval
    FROM unnest(${['1 hour', '23 hours 59 minutes', '24 hours 1 minute', '3 days']}::text[]) AS age`
  t.same(await sweep(sql, retain30Days, new AbortController().signal), { requests: 0, idempotencyKeys: 2 })
  const left = await sql<{ key: string }[]>`SELECT key FROM idempotency_keys ORDER BY created_at DESC`
  t.same(left.map((row) => row.key), ['1 hour old', '23 hours 59 minutes old'])
})

test('more rows than one batch are all deleted, a batch per statement', async (t) => {
  const { sql } = await startApp(t)
  const rows = 2.5 * DEFAULT_RETENTION_OPTIONS.batchSize
  await addRequests(sql, 'oldsynced', rows, 'synced', 31)
  await addRequests(sql, 'oldfailed', 5, 'failed', 31)
  await sql`
    INSERT INTO idempotency_keys (key_id, key, body_hash, request_id, created_at)
    SELECT '', 'key-' || g, 'hash', gen_random_uuid(), now() - interval '2 days'
    FROM generate_series(1, ${rows}) AS g`

  const started = performance.now()
  const deleted = await sweep(sql, retain30Days, new AbortController().signal)
  const elapsed = performance.now() - started
  t.same(deleted, { requests: rows, idempotencyKeys: rows })
  t.same(await labelsLeft(sql), { oldfailed: 5 })
  t.ok(elapsed >= 4 * DEFAULT_RETENTION_OPTIONS.pauseMs, `three statements for each table, with a pause between two (${Math.round(elapsed)} ms in all)`)
})

test('the job sweeps on its interval from the start, by RETENTION_DAYS, and stops at once on close', async (t) => {
  const app = await startApp(t, { RETENTION_DAYS: '7' }, { intervalMs: 50 })
  await addRequests(app.sql, 'oldsynced', 3, 'synced', 8)
  await addRequests(app.sql, 'recentsynced', 2, 'synced', 6)
  await eventually(async () => (await labelsLeft(app.sql)).oldsynced === undefined, 5000, 'the old synced requests are deleted')
  t.same(await labelsLeft(app.sql), { recentsynced: 2 })

  const idle = await startApp(t, {}, {})
  const started = performance.now()
  await idle.close()
  const elapsed = performance.now() - started
  t.ok(elapsed < 1000, `a job waiting out its ${DEFAULT_RETENTION_OPTIONS.intervalMs / 60_000} min interval stopped in ${Math.round(elapsed)} ms`)
})

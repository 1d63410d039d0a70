// npm run bench:stats: how long GET /v1/stats takes over a day of activity with a million request
// rows. A fresh database on DATABASE_URL's server (default the local one; CREATEDB needed), the
// service built in this process, the rows written by SQL, then 200 reads over HTTP on loopback.
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import postgres from 'postgres'
import { request } from 'undici'
import { buildApp } from '../src/app.ts'

const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const REQUEST_ROWS = 1_000_000
const FAILED_ROWS = 10_000
const QUEUED_ROWS = 10_000
const READS = 200
const READ_KEY = 'bench-stats-read-key-0123456789'

const dbName = `contact_sync_stats_bench_${randomBytes(4).toString('hex')}`
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
await admin.unsafe(`CREATE DATABASE ${dbName}`)
const url = new URL(ADMIN_URL)
url.pathname = `/${dbName}`
const app = await buildApp({ env: { DATABASE_URL: url.toString(), API_KEYS: `read:${READ_KEY}`, LOG_LEVEL: 'warn' }, logger: false })
// The rows are written on a connection of their own: the service's pool stops statements after 5 s
const setup = postgres(url.toString(), { max: 1, onnotice: () => {} })
try {
  const started = performance.now()
  // A day: synced requests spread over it, some failed, a backlog queued; every minute of activity filled
  await setup`
    INSERT INTO contact_requests (email, properties, status, attempts, hubspot_id, created, created_at, synced_at)
    SELECT 'user' || i || '@example.com', '{"firstname":"Ada"}', 'synced', 1, i::text, true,
           now() - (i % 86400) * interval '1 second', now() - (i % 86400) * interval '1 second' + interval '300 ms'
    FROM generate_series(1, ${REQUEST_ROWS - FAILED_ROWS - QUEUED_ROWS}) AS i`
  await setup`
    INSERT INTO contact_requests (email, status, attempts, error, created_at)
    SELECT 'failed' || i || '@example.com', 'failed', 1, 'Property values were not valid', now() - (i % 86400) * interval '1 second'
    FROM generate_series(1, ${FAILED_ROWS}) AS i`
  await setup`
    WITH queued AS (
      INSERT INTO contact_requests (email) SELECT 'queued' || i || '@example.com' FROM generate_series(1, ${QUEUED_ROWS}) AS i
      RETURNING email, seq
    )
    INSERT INTO sync_queue (email, last_request_seq) SELECT email, seq FROM queued`
  await setup`
    INSERT INTO activity_minutes (minute, accepted, requests, server_errors, synced, failed, hubspot_calls, sync_latency)
    SELECT date_trunc('minute', now()) - m * interval '1 minute', 700, 720, 1, 690, 7, 7,
           array_fill(3::bigint, ARRAY[41])
    FROM generate_series(0, 1439) AS m`
  await setup`VACUUM ANALYZE contact_requests`
  process.stderr.write(`rows written in ${Math.round(performance.now() - started)} ms\n`)

  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const timings: number[] = []
  for (let i = 0; i < READS; i++) {
    const at = performance.now()
    const response = await request(`http://127.0.0.1:${port}/v1/stats`, { headers: { authorization: `Bearer ${READ_KEY}` } })
    const body = await response.body.json() as { windows: { '24h': { accepted: number } } }
    timings.push(performance.now() - at)
    if (response.statusCode !== 200 || body.windows['24h'].accepted !== 700 * 1440) throw new Error(`unexpected answer ${response.statusCode}`)
  }
  timings.sort((a, b) => a - b)
  const at = (q: number) => timings[Math.min(timings.length - 1, Math.floor(q * timings.length))].toFixed(1)
  const [{ count }] = await app.sql<{ count: number }[]>`SELECT count(*)::int AS count FROM contact_requests`
  console.log(`GET /v1/stats over ${count.toLocaleString('en')} request rows (${FAILED_ROWS.toLocaleString('en')} failed, ` +
    `${QUEUED_ROWS.toLocaleString('en')} queued) and 1,440 minutes: ${READS} reads, p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, ` +
    `max ${timings.at(-1)!.toFixed(1)} ms (load average ${loadavg().map((l) => l.toFixed(2)).join(' / ')})`)
} finally {
  await setup.end()
  await app.close()
  await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)
  await admin.end()
}

import { test } from 'tap'
import { connectSql } from '../../src/db/client.ts'
import { migrate, readMigrations } from '../../src/db/migrate.ts'
import { freshDatabaseUrl } from '../helpers/database.ts'

async function connect (t: Parameters<typeof freshDatabaseUrl>[0], url: string) {
  const sql = connectSql(url, { maxConnections: 2, statementTimeoutMs: 5000 })
  t.teardown(() => sql.end({ timeout: 1 }))
  return sql
}

test('migrations are numbered plain SQL files applied in order', async (t) => {
  const migrations = await readMigrations()
  t.ok(migrations.length > 0)
  t.same(migrations.map((m) => m.name), migrations.map((m) => m.name).sort())
  for (const migration of migrations) t.match(migration.name, /^\d{3}_[a-z0-9_]+\.sql$/)
})

test('a fresh database gets every migration, and a second run applies nothing', async (t) => {
  const sql = await connect(t, await freshDatabaseUrl(t))
  const names = (await readMigrations()).map((m) => m.name)
  t.same(await migrate(sql), names)
  t.same(await migrate(sql), [], 'idempotent')
  const tables = await sql<{ table_name: string }[]>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`
  t.same(tables.map((row) => row.table_name), ['activity_minutes', 'contact_requests', 'contacts', 'idempotency_keys', 'schema_migrations', 'sync_queue'])
})

test('two instances starting at once apply each migration exactly once', async (t) => {
  const url = await freshDatabaseUrl(t)
  const first = await connect(t, url)
  const second = await connect(t, url)
  const [a, b] = await Promise.all([migrate(first), migrate(second)])
  const names = (await readMigrations()).map((m) => m.name)
  t.same([...a, ...b].sort(), names, 'between them, each migration once')
  const applied = await first<{ name: string }[]>`SELECT name FROM schema_migrations ORDER BY name`
  t.same(applied.map((row) => row.name), names)
})

test('a failing migration leaves nothing half-applied', async (t) => {
  const sql = await connect(t, await freshDatabaseUrl(t))
  const broken = [
    { name: '001_ok.sql', sql: 'CREATE TABLE first_table (id int)' },
    { name: '002_broken.sql', sql: 'CREATE TABLE second_table (id nonexistent_type)' }
  ]
  await t.rejects(migrate(sql, broken))
  const [{ exists }] = await sql<{ exists: boolean }[]>`SELECT to_regclass('first_table') IS NOT NULL AS exists`
  t.equal(exists, false, 'the whole run rolled back')
})

import { test } from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { connectSql } from '../../src/db/client.ts'
import { startEmbeddedPostgres } from '../../src/db/embedded.ts'
import { temporaryDirectory } from '../helpers/database.ts'

test('the embedded PostgreSQL keeps its data in DATA_DIR across a restart', async (t) => {
  const dataDir = await temporaryDirectory(t)

  const first = await startEmbeddedPostgres(dataDir, 3)
  t.match(first.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/, 'served on loopback')
  const sql = connectSql(first.url, { maxConnections: 2, statementTimeoutMs: 5000 })
  await sql`CREATE TABLE notes (body text)`
  await sql`INSERT INTO notes VALUES ('kept')`
  await sql.end()
  await first.close()
  t.ok((await readdir(join(dataDir, 'pglite'))).includes('PG_VERSION'), 'files are under DATA_DIR')

  const second = await startEmbeddedPostgres(dataDir, 3)
  t.teardown(() => second.close())
  const again = connectSql(second.url, { maxConnections: 2, statementTimeoutMs: 5000 })
  t.teardown(() => again.end())
  t.same(await again`SELECT body FROM notes`, [{ body: 'kept' }])
})

test('several connections share the embedded database, transactions kept apart', async (t) => {
  const embedded = await startEmbeddedPostgres(await temporaryDirectory(t), 4)
  t.teardown(() => embedded.close())
  const sql = connectSql(embedded.url, { maxConnections: 3, statementTimeoutMs: 5000 })
  t.teardown(() => sql.end())
  await sql`CREATE TABLE counter (n int)`
  await sql`INSERT INTO counter VALUES (0)`
  const rolledBack = sql.begin(async (tx) => {
    await tx`UPDATE counter SET n = n + 100`
    await new Promise((resolve) => setTimeout(resolve, 50))
    throw new Error('abort')
  }).catch(() => 'aborted')
  const increments = Array.from({ length: 20 }, () => sql`UPDATE counter SET n = n + 1`)
  await Promise.all([rolledBack, ...increments])
  t.same(await sql`SELECT n FROM counter`, [{ n: 20 }], 'the rolled-back transaction left no trace')
})

import fp from 'fastify-plugin'
import { connectSql, type Sql } from './client.ts'
import { migrate } from './migrate.ts'

declare module 'fastify' {
  interface FastifyInstance {
    sql: Sql
  }
}

// Intake commits and search reads take at most 4 each (src/app.ts); the sync worker, probes
// and status reads share the rest
const POOL_SIZE = 10
// PGlite runs one statement at a time, and its socket server interleaves the protocol
// messages of concurrent connections (unnamed portals get lost): one connection it is
const EMBEDDED_POOL_SIZE = 1
const STATEMENT_TIMEOUT_MS = 5000

/** Connects to DATABASE_URL, or to an embedded PostgreSQL in DATA_DIR, and applies the migrations. */
export default fp(async function database (fastify) {
  const { databaseUrl, dataDir } = fastify.config
  // Loaded only when used: PGlite's WebAssembly costs memory a server on DATABASE_URL does not need
  const embedded = databaseUrl === undefined
    ? await (await import('./embedded.ts')).startEmbeddedPostgres(dataDir, EMBEDDED_POOL_SIZE + 1)
    : undefined
  if (embedded) fastify.log.info({ dataDir }, 'embedded PostgreSQL started')
  const sql = connectSql(databaseUrl ?? embedded!.url, {
    maxConnections: embedded ? EMBEDDED_POOL_SIZE : POOL_SIZE,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    onnotice: (notice) => fastify.log.debug({ notice: notice.message }, 'postgres notice')
  })
  try {
    const applied = await migrate(sql)
    if (applied.length > 0) fastify.log.info({ applied }, 'migrations applied')
  } catch (error) {
    await sql.end({ timeout: 1 })
    await embedded?.close()
    throw error
  }
  fastify.decorate('sql', sql)
  fastify.addHook('onClose', async () => {
    await sql.end({ timeout: 3 })
    await embedded?.close()
  })
}, { name: 'database', dependencies: ['config'] })

import fp from 'fastify-plugin'
import { connectSql, type Sql } from './client.ts'
import { migrate } from './migrate.ts'
import { within } from '../lib/waiting.ts'

declare module 'fastify' {
  interface FastifyInstance {
    sql: Sql
  }
}

// The pool's budget: search reads keep at most 4 statements out, intake commits 1, keyed
// posts 2 transactions (src/contacts/plugin.ts); the sync worker, probes and status reads share
// what is left, and postgres.js queues the surplus on busy connections rather than fail it
const POOL_SIZE = 10
export const HOT_PATH_STATEMENTS = 4
// Each holds a connection for its transaction: more at once took the group commit from 12,000 to 500 posts/s
export const KEYED_TRANSACTIONS = 2
// PGlite runs one statement at a time, and its socket server interleaves the protocol
// messages of concurrent connections (unnamed portals get lost): one connection it is
const EMBEDDED_POOL_SIZE = 1
const STATEMENT_TIMEOUT_MS = 5000
// The contract: a start that cannot work stops within 15 s, even when the database never answers
const STARTUP_DEADLINE_MS = 10_000

/** Where DATABASE_URL points, without its password: for a start that failed. */
function describeDatabase (url: string): string {
  const { hostname, port, pathname } = new URL(url)
  return `${hostname}:${port || 5432}${pathname}`
}

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
    const applied = await within(migrate(sql), STARTUP_DEADLINE_MS)
    if (applied === false) throw new Error(`did not answer within ${STARTUP_DEADLINE_MS / 1000} s`)
    if (applied.length > 0) fastify.log.info({ applied }, 'migrations applied')
  } catch (error) {
    await within(sql.end({ timeout: 1 }), 2000)
    await embedded?.close()
    const where = databaseUrl === undefined ? `the embedded database in DATA_DIR ${dataDir}` : `DATABASE_URL (${describeDatabase(databaseUrl)})`
    throw new Error(`${where}: ${(error as Error).message}`, { cause: error })
  }
  fastify.decorate('sql', sql)
  fastify.addHook('onClose', async () => {
    await sql.end({ timeout: 3 })
    await embedded?.close()
  })
}, { name: 'database', dependencies: ['config'] })

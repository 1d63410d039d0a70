import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import { startEmbeddedPostgres } from '../../src/db/embedded.ts'
import type { Teardown } from './teardown.ts'

/** Tests run against DATABASE_URL when it is set, and against the embedded PGlite otherwise. */
export const usingRealPostgres = Boolean(process.env.DATABASE_URL)
/** Skip reason of tests that make the database hang: the embedded one lives in the process, only a server across a socket can. */
export const NEEDS_REAL_POSTGRES = 'needs DATABASE_URL: a hanging database is a TCP proxy in front of a real server'

export async function temporaryDirectory (t: Teardown, prefix = 'contact-sync-'): Promise<string> {
  const directory = await mkdtemp(join(tmpdir(), prefix))
  t.teardown(() => rm(directory, { recursive: true, force: true }))
  return directory
}

/**
 * A database of the test's own, dropped afterwards: a fresh one on the real server
 * (test files run in parallel), or an embedded PostgreSQL in a temporary directory.
 */
export async function freshDatabaseUrl (t: Teardown): Promise<string> {
  if (!usingRealPostgres) {
    const embedded = await startEmbeddedPostgres(await temporaryDirectory(t), 11)
    t.teardown(() => embedded.close())
    return embedded.url
  }
  const name = `contact_sync_test_${randomBytes(6).toString('hex')}`
  const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} })
  await admin.unsafe(`CREATE DATABASE ${name}`)
  t.teardown(async () => {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  })
  const url = new URL(process.env.DATABASE_URL!)
  url.pathname = `/${name}`
  return url.toString()
}

/** The environment an app under test starts with: its own database, quiet logs, no .env. */
export async function testEnv (t: Teardown, overrides: Record<string, string | undefined> = {}): Promise<Record<string, string | undefined>> {
  const database = usingRealPostgres
    ? { DATABASE_URL: await freshDatabaseUrl(t) }
    : { DATA_DIR: await temporaryDirectory(t) }
  return { LOG_LEVEL: 'silent', ...database, ...overrides }
}

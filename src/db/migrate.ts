import { readdir, readFile } from 'node:fs/promises'
import type { Sql } from './client.ts'

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url)
// Any constant shared by every instance: two instances starting at once apply migrations one after the other
const MIGRATION_LOCK_ID = 7_426_001

export interface Migration { name: string, sql: string }

export async function readMigrations (directory: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((name) => /^\d+_.+\.sql$/.test(name)).sort()
  return Promise.all(names.map(async (name) => ({ name, sql: await readFile(new URL(name, directory), 'utf8') })))
}

/** Applies the migrations not applied yet, in order, in one transaction; returns the names applied. */
export async function migrate (sql: Sql, migrations?: Migration[]): Promise<string[]> {
  const pending = migrations ?? await readMigrations()
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`
    const applied = new Set((await tx<{ name: string }[]>`SELECT name FROM schema_migrations`).map((row) => row.name))
    const newlyApplied: string[] = []
    for (const migration of pending) {
      if (applied.has(migration.name)) continue
      await tx.unsafe(migration.sql)
      await tx`INSERT INTO schema_migrations (name) VALUES (${migration.name})`
      newlyApplied.push(migration.name)
    }
    return newlyApplied
  })
}

// One-shot migration step of deploy/deploy.sh, run in a throw-away container of the new image
// (`compose run --rm`, no restart policy) before the new color starts:
//   node --import ./deploy/image/preload.ts deploy/image/migrate.ts
// - lock_timeout: an ALTER TABLE waiting behind the serving color's transactions would queue every
//   later query of that color behind itself; with lock_timeout it gives up after
//   MIGRATION_LOCK_TIMEOUT_MS (default 5000) instead, and the deploy stops before any switch.
// - A failing migration fails this one command (exit 1, the reason on stderr): the deploy aborts
//   and no container crash-loops on it. The service's own start-up then finds nothing to apply.
import { migrate } from '../../src/db/migrate.ts'
import postgres from 'postgres'

const lockTimeoutMs = Number(process.env.MIGRATION_LOCK_TIMEOUT_MS ?? 5000)
const statementTimeoutMs = Number(process.env.MIGRATION_STATEMENT_TIMEOUT_MS ?? 60_000)
const url = process.env.DATABASE_URL
if (!url) {
  process.stderr.write('migrate: DATABASE_URL is not set\n')
  process.exit(1)
}

// lock_timeout for this session alone: the service's own sessions keep none
const sql = postgres(url, {
  max: 1,
  connect_timeout: 5,
  connection: { application_name: 'contact-sync-migrate', statement_timeout: statementTimeoutMs, lock_timeout: lockTimeoutMs },
  onnotice: () => {}
})
try {
  const applied = await migrate(sql)
  process.stdout.write(applied.length > 0 ? `migrations applied: ${applied.join(', ')}\n` : 'migrations: none pending\n')
} catch (error) {
  process.stderr.write(`migrate: ${(error as Error).message}\n`)
  process.exitCode = 1
} finally {
  await sql.end({ timeout: 2 })
}

// The naive durable intake: one INSERT per request through postgres.js (a pool of 10, as the service's)
import postgres from 'postgres'
import { requiredEnv, servePeer } from './peer-app.ts'

const sql = postgres(requiredEnv('DATABASE_URL'), { max: 10, onnotice: () => {} })
await sql`CREATE TABLE IF NOT EXISTS naive_contacts (
  id uuid PRIMARY KEY, email text NOT NULL, properties jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now()
)`

await servePeer({
  async write ({ id, email, properties }) {
    await sql`INSERT INTO naive_contacts (id, email, properties) VALUES (${id}, ${email}, ${sql.json(properties)})`
  },
  async count () {
    const [{ count }] = await sql<{ count: number }[]>`SELECT count(*)::int AS count FROM naive_contacts`
    return count
  },
  close: () => sql.end()
})

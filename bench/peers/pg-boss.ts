// A PostgreSQL job queue: pg-boss's send() per request, its defaults otherwise (a pool of 10)
import { PgBoss } from 'pg-boss'
import { requiredEnv, servePeer } from './peer-app.ts'

const QUEUE = 'contacts'
const boss = new PgBoss({ connectionString: requiredEnv('DATABASE_URL'), max: 10 })
boss.on('error', (error) => process.stderr.write(`pg-boss: ${String(error)}\n`))
await boss.start()
await boss.createQueue(QUEUE)

await servePeer({
  async write (contact) {
    await boss.send(QUEUE, contact)
  },
  async count () {
    // Counted in its table: getQueue()'s counts are the monitor's, refreshed now and then
    const { rows } = await boss.getDb().executeSql('SELECT count(*)::int AS count FROM pgboss.job WHERE name = $1', [QUEUE])
    return (rows[0] as { count: number }).count
  },
  close: () => boss.stop({ graceful: false })
})

import type { FastifyInstance } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { testEnv } from './database.ts'
import type { Teardown } from './teardown.ts'

/** The app as server.ts builds it, ready for `inject`, closed when the test ends. */
export async function buildTestApp (t: Teardown, env: Record<string, string | undefined> = {}): Promise<FastifyInstance> {
  const app = await buildApp({ env: await testEnv(t, env), logger: false })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

import type { FastifyInstance } from 'fastify'
import { request } from 'undici'
import { buildApp, type AppOptions } from '../../src/app.ts'
import type { HubSpotSimulator, HubSpotSimulatorOptions } from '../../src/simulator/simulator.ts'
import { testEnv } from './database.ts'
import { SIMULATOR_TOKEN, startTestSimulator } from './hubspot-simulator.ts'
import type { Teardown } from './teardown.ts'

export interface SyncStack {
  app: FastifyInstance
  simulator: HubSpotSimulator
  baseUrl: string
  post: (body: unknown, headers?: Record<string, string>) => Promise<{ statusCode: number, body: any, headers: Record<string, unknown> }>
  get: (path: string) => Promise<{ statusCode: number, body: any }>
}

/** The service listening on a loopback port, its HubSpot a simulator, its database the test's own. */
export async function startSyncStack (t: Teardown, options: {
  env?: Record<string, string | undefined>
  simulator?: Partial<HubSpotSimulatorOptions>
  /** Where the service finds HubSpot, when not the simulator itself (a proxy in front of it, say). */
  hubspotUrl?: (simulator: HubSpotSimulator) => Promise<string>
  app?: Omit<AppOptions, 'env'>
} = {}): Promise<SyncStack> {
  const simulator = await startTestSimulator(t, options.simulator)
  const hubspotUrl = options.hubspotUrl ? await options.hubspotUrl(simulator) : simulator.url
  const app = await buildApp({
    logger: false,
    ...options.app,
    sync: { leaderCheckMs: 200, ...options.app?.sync, tuning: { retryBaseMs: 200, retryMaxMs: 2000, ...options.app?.sync?.tuning } },
    hubspotTuning: { retryBaseDelayMs: 50, retryMaxDelayMs: 500, ...options.app?.hubspotTuning },
    env: await testEnv(t, { HUBSPOT_BASE_URL: hubspotUrl, HUBSPOT_ACCESS_TOKEN: SIMULATOR_TOKEN, ...options.env })
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  const baseUrl = `http://127.0.0.1:${port}`
  return {
    app,
    simulator,
    baseUrl,
    async post (body, headers = {}) {
      const response = await request(`${baseUrl}/v1/contacts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body)
      })
      return { statusCode: response.statusCode, body: await response.body.json(), headers: response.headers }
    },
    async get (path) {
      const response = await request(`${baseUrl}${path}`)
      return { statusCode: response.statusCode, body: await response.body.json() }
    }
  }
}

/** Polls until check() is true; fails the wait after timeoutMs. */
export async function eventually (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return Date.now() - started
}

/** Runs tasks with at most `concurrency` at a time. */
export async function inParallel<T> (items: T[], concurrency: number, task: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) {
      const index = next++
      await task(items[index], index)
    }
  }))
}

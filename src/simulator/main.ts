// Runs the HubSpot simulator alone, for local runs and benchmarks.
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { startHubSpotSimulator } from './simulator.ts'

const sharedSpec = new URL('../../../shared/hubspot-openapi/contacts-v3.json', import.meta.url)
const specPath = process.env.SIMULATOR_OPENAPI_SPEC ?? (existsSync(sharedSpec) ? fileURLToPath(sharedSpec) : undefined)

const simulator = await startHubSpotSimulator({
  port: Number(process.env.SIMULATOR_PORT ?? 4010),
  host: process.env.SIMULATOR_HOST ?? '127.0.0.1',
  accessToken: process.env.SIMULATOR_TOKEN ?? 'sim-token',
  rateLimit: {
    max: Number(process.env.SIMULATOR_RATE_MAX ?? 100),
    intervalMs: Number(process.env.SIMULATOR_RATE_INTERVAL_MS ?? 10_000)
  },
  openApiSpecPath: specPath
})

// The token is the simulator's own, never a real HubSpot one, so printing how to use it is fine.
console.log(`HubSpot simulator listening on ${simulator.url} ` +
  `(token from SIMULATOR_TOKEN, OpenAPI check ${specPath === undefined ? 'off: spec not found' : 'on'})`)
console.log(`controls: GET ${simulator.url}/__simulator/state, POST ${simulator.url}/__simulator/faults, POST ${simulator.url}/__simulator/reset`)

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    simulator.close().then(() => process.exit(0), () => process.exit(1))
  })
}

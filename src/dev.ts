// `npm run dev`: the service in watch mode with the HubSpot simulator as its HubSpot, so the
// whole flow runs with no HubSpot account. Never used in production.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { startHubSpotSimulator } from './simulator/simulator.ts'

const token = process.env.SIMULATOR_TOKEN ?? 'sim-token'
const simulator = await startHubSpotSimulator({
  port: Number(process.env.SIMULATOR_PORT ?? 4010),
  accessToken: token
})
console.log(`HubSpot simulator on ${simulator.url} (controls under ${simulator.url}/__simulator)`)

const service = spawn(process.execPath, ['--watch', fileURLToPath(new URL('./server.ts', import.meta.url))], {
  stdio: 'inherit',
  env: { ...process.env, HUBSPOT_BASE_URL: simulator.url, HUBSPOT_ACCESS_TOKEN: token }
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => service.kill(signal))
}
service.on('exit', (code) => {
  simulator.close().finally(() => process.exit(code ?? 0))
})

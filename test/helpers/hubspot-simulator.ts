import { startHubSpotSimulator, type HubSpotSimulator, type HubSpotSimulatorOptions } from '../../src/simulator/simulator.ts'
import { openApiSpecPath } from './hubspot-openapi.ts'
import type { Teardown } from './teardown.ts'

/** The token every test simulator accepts: the one to give the service or client under test. */
export const SIMULATOR_TOKEN = 'pat-na1-simulated-0123456789abcdef'

/** A simulator checking bodies against the OpenAPI spec when ../shared has it; closed when the test ends. */
export async function startTestSimulator (t: Teardown, options: Partial<HubSpotSimulatorOptions> = {}): Promise<HubSpotSimulator> {
  const simulator = await startHubSpotSimulator({ accessToken: SIMULATOR_TOKEN, openApiSpecPath, ...options })
  t.teardown(() => simulator.close())
  return simulator
}

import type { Test } from 'tap'
import { createHubSpotClient, type HubSpotClient, type HubSpotClientOptions } from '../../src/hubspot/client.ts'
import { createRecordingLogger } from './hubspot-logger.ts'

/** A client with small test timings, closed when the test ends. */
export function createTestClient (t: Test, overrides: Partial<HubSpotClientOptions> & { baseUrl: string }): HubSpotClient {
  const client = createHubSpotClient({
    accessToken: 'test-token-for-hubspot',
    timeoutMs: 2000,
    maxRetries: 3,
    requestsPer10s: 1000,
    logger: createRecordingLogger(),
    retryBaseDelayMs: 10,
    retryMaxDelayMs: 100,
    ...overrides
  })
  t.teardown(() => client.close())
  return client
}

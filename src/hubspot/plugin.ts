import fp from 'fastify-plugin'
import { createHubSpotClient, type HubSpotClient, type HubSpotClientOptions } from './client.ts'

declare module 'fastify' {
  interface FastifyInstance {
    hubspot: HubSpotClient
  }
}

/** Client settings tests may tighten (rate window, retry delays, a lookup's wait for a slot); the rest comes from the configuration. */
export type HubSpotTuning = Partial<Pick<
  HubSpotClientOptions,
  'rateWindowMs' | 'retryBaseDelayMs' | 'retryMaxDelayMs' | 'maxRetryWaitMs' | 'lookupSlotWaitMs'
>>

/** One HubSpot client (one keep-alive connection pool, one rate budget) per process. */
export interface HubSpotPluginOptions {
  tuning?: HubSpotTuning
  onAttempt?: HubSpotClientOptions['onAttempt']
}

export default fp<HubSpotPluginOptions>(async function hubspot (fastify, { tuning, onAttempt }) {
  const { hubspot: config } = fastify.config
  const client = createHubSpotClient({
    baseUrl: config.baseUrl,
    accessToken: config.accessToken,
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    requestsPer10s: config.requestsPer10s,
    lookupShare: config.lookupShare,
    logger: fastify.log.child({ component: 'hubspot' }),
    onAttempt,
    ...tuning
  })
  fastify.decorate('hubspot', client)
  fastify.addHook('onClose', () => client.close())
}, { name: 'hubspot', dependencies: ['config'] })

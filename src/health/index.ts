import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import { Type, type Static } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { createDbProbe } from './db-probe.ts'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
const READINESS_DB_TIMEOUT_MS = 800
// Load balancers probe every few seconds: their requests would drown the log
const PROBE_LOG_LEVEL = 'warn'

export const HubSpotHealth = Type.Object({
  configured: Type.Boolean(),
  state: Type.Union([
    Type.Literal('ok'), Type.Literal('unauthorized'), Type.Literal('forbidden'), Type.Literal('rate_limited'),
    Type.Literal('unreachable'), Type.Literal('not_configured'), Type.Literal('unknown')
  ]),
  lastSuccessAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()])
})
export const QueueHealth = Type.Object({
  pending: Type.Integer(),
  failed: Type.Integer(),
  oldestPendingSeconds: Type.Union([Type.Number(), Type.Null()])
})

export interface HealthSources {
  hubspot: () => Static<typeof HubSpotHealth>
  queue: () => Promise<Static<typeof QueueHealth>>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** What /health reports about HubSpot and the queue; the sync plugin replaces the defaults. */
    healthSources: HealthSources
    shuttingDown: boolean
  }
}

const ReadyStatus = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable'), Type.Literal('shutting_down')]) })

export default fp(async function health (app) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>()
  const probeDb = createDbProbe(fastify.sql, READINESS_DB_TIMEOUT_MS)
  const startedAt = Date.now()

  fastify.decorate('shuttingDown', false)
  // Readiness turns 503 at once, before in-flight requests drain
  fastify.addHook('preClose', async () => { fastify.shuttingDown = true })
  fastify.decorate<HealthSources>('healthSources', {
    hubspot: () => ({
      configured: fastify.config.hubspot.accessToken !== undefined,
      state: fastify.config.hubspot.accessToken === undefined ? 'not_configured' : 'unknown',
      lastSuccessAt: null,
      lastError: null
    }),
    queue: async () => ({ pending: 0, failed: 0, oldestPendingSeconds: null })
  })

  async function readiness () {
    if (fastify.shuttingDown) return { statusCode: 503 as const, status: 'shutting_down' as const, db: { ok: false, latencyMs: null } }
    const db = await probeDb()
    return { statusCode: db.ok ? 200 as const : 503 as const, status: db.ok ? 'ready' as const : 'unavailable' as const, db }
  }

  fastify.get('/health/live', {
    logLevel: PROBE_LOG_LEVEL,
    schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  fastify.get('/health/ready', {
    logLevel: PROBE_LOG_LEVEL,
    schema: { response: { 200: ReadyStatus, 503: ReadyStatus } }
  }, async (_request, reply) => {
    const { statusCode, status } = await readiness()
    return reply.code(statusCode).send({ status })
  })

  const Details = Type.Object({
    status: ReadyStatus.properties.status,
    version: Type.String(),
    color: Type.Union([Type.String(), Type.Null()]),
    uptimeSeconds: Type.Number(),
    db: Type.Object({ ok: Type.Boolean(), latencyMs: Type.Union([Type.Number(), Type.Null()]) }),
    hubspot: HubSpotHealth,
    queue: QueueHealth
  })
  fastify.get('/health', {
    schema: { response: { 200: Details, 503: Details } }
  }, async (_request, reply) => {
    const { statusCode, status, db } = await readiness()
    const queue = db.ok
      ? await fastify.healthSources.queue().catch(() => ({ pending: 0, failed: 0, oldestPendingSeconds: null }))
      : { pending: 0, failed: 0, oldestPendingSeconds: null }
    return reply.code(statusCode).send({
      status,
      version,
      color: fastify.config.deployColor ?? null,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
      db,
      hubspot: fastify.healthSources.hubspot(),
      queue
    })
  })
}, { name: 'health', dependencies: ['config', 'database'] })

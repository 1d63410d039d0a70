import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import { Type, type Static } from 'typebox'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { createDbProbe } from './db-probe.ts'
import { queueStats } from '../store/queue-table.ts'
import { countFailedRequests } from '../store/requests-table.ts'
import { HUBSPOT_STATES, stateAfterFailure } from '../hubspot/errors.ts'

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
const READINESS_DB_TIMEOUT_MS = 800
// Load balancers probe every few seconds: their requests would drown the log
const PROBE_LOG_LEVEL = 'warn'

export const HubSpotHealth = Type.Object({
  configured: Type.Boolean(),
  state: Type.Enum(HUBSPOT_STATES),
  lastSuccessAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  lastError: Type.Union([Type.String(), Type.Null()])
})
export const QueueHealth = Type.Object({
  pending: Type.Integer(),
  failed: Type.Integer(),
  oldestPendingSeconds: Type.Union([Type.Number(), Type.Null()])
})

const ReadyStatus = Type.Object({ status: Type.Union([Type.Literal('ready'), Type.Literal('unavailable'), Type.Literal('shutting_down')]) })

export const HealthDetails = Type.Object({
  status: ReadyStatus.properties.status,
  version: Type.String(),
  color: Type.Union([Type.String(), Type.Null()]),
  uptimeSeconds: Type.Number(),
  db: Type.Object({ ok: Type.Boolean(), latencyMs: Type.Union([Type.Number(), Type.Null()]) }),
  hubspot: HubSpotHealth,
  queue: QueueHealth
})

/** What GET /health answers: readiness's status code, and the details. */
export interface HealthReport { statusCode: 200 | 503, details: Static<typeof HealthDetails> }

declare module 'fastify' {
  interface FastifyInstance {
    /** What GET /health would answer now: for pages that show the same figures. */
    healthReport: () => Promise<HealthReport>
  }
}

export default fp(async function health (app) {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>()
  const probeDb = createDbProbe(fastify.sql, READINESS_DB_TIMEOUT_MS)
  const startedAt = Date.now()

  function hubspotHealth (): Static<typeof HubSpotHealth> {
    const state = fastify.hubspot.getState()
    const pausedBy = fastify.syncPausedBy()
    return {
      configured: state.configured,
      // The sync paused on a refused token says more than the client's last call
      state: (pausedBy && stateAfterFailure(pausedBy)) ?? state.state,
      lastSuccessAt: state.lastSuccessAt?.toISOString() ?? null,
      lastError: state.lastError ? `${state.lastError.at.toISOString()} ${state.lastError.kind}: ${state.lastError.message}` : null
    }
  }

  async function queueHealth (): Promise<Static<typeof QueueHealth>> {
    const [stats, failed] = await Promise.all([queueStats(fastify.sql), countFailedRequests(fastify.sql)])
    return { ...stats, failed }
  }

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

  async function report (): Promise<HealthReport> {
    const { statusCode, status, db } = await readiness()
    const queue = db.ok
      ? await queueHealth().catch(() => ({ pending: 0, failed: 0, oldestPendingSeconds: null }))
      : { pending: 0, failed: 0, oldestPendingSeconds: null }
    return {
      statusCode,
      details: {
        status,
        version,
        color: fastify.config.deployColor ?? null,
        uptimeSeconds: Math.round((Date.now() - startedAt) / 1000),
        db,
        hubspot: hubspotHealth(),
        queue
      }
    }
  }
  fastify.decorate('healthReport', report)

  fastify.get('/health', {
    schema: { response: { 200: HealthDetails, 503: HealthDetails } }
  }, async (_request, reply) => {
    const { statusCode, details } = await report()
    return reply.code(statusCode).send(details)
  })
}, { name: 'health', dependencies: ['config', 'database', 'hubspot', 'sync', 'shutdown'] })

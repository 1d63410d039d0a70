import type { FastifyPluginAsync } from 'fastify'
import { Type } from 'typebox'
import { ErrorReply } from '../http/schemas.ts'
import { readStats } from './stats.ts'
import { StatsReply } from './schemas.ts'
import { renderStatusPage } from './status-page.ts'

// The contract's 2 s for a database that does not answer
const STATS_READ_DEADLINE_MS = 1500

function statsOf (fastify: Parameters<FastifyPluginAsync>[0]) {
  return readStats({ sql: fastify.sql, flush: fastify.observations.flush, readDeadlineMs: STATS_READ_DEADLINE_MS })
}

/** GET /v1/stats: the runbook's two criteria over the last hour and day (registered under /v1, behind the keys). */
export const statsRoutes: FastifyPluginAsync = async (fastify) => {
  fastify.get('/stats', {
    config: { scope: 'read' },
    schema: {
      summary: 'The runbook\'s success criteria (error rate, sync success) over the last hour and day',
      tags: ['operations'],
      response: { 200: StatsReply, 503: ErrorReply }
    }
  }, async () => statsOf(fastify))
}

/** GET /status: the same figures as a page an operator keeps open after a deploy (NGINX serves it only internally). */
export const statusPage: FastifyPluginAsync = async (fastify) => {
  fastify.get('/status', {
    logLevel: 'warn',
    schema: {
      summary: 'Status page: the criteria at a glance, the last 24 hours, HubSpot, version and color (HTML)',
      tags: ['operations'],
      response: { 200: Type.String(), 503: ErrorReply }
    }
  }, async (_request, reply) => {
    const [stats, health] = await Promise.all([statsOf(fastify), fastify.healthReport()])
    const { version, color, uptimeSeconds, hubspot } = health.details
    const html = renderStatusPage({ ...stats, version, color, uptimeSeconds, hubspot })
    // The page has no script and loads nothing: a policy that says so costs nothing
    return reply.type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
      .header('x-content-type-options', 'nosniff')
      .send(html)
  })
}

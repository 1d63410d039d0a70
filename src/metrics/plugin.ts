import fp from 'fastify-plugin'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import { Type } from 'typebox'
import { createActivityRecorder, type ActivityRecorder } from '../store/activity.ts'
import { queueStats } from '../store/queue-table.ts'
import { countFailedRequests, type SettledRequests } from '../store/requests-table.ts'
import { HUBSPOT_STATES } from '../hubspot/errors.ts'
import type { HubSpotClientOptions } from '../hubspot/client.ts'
import { readWithin } from '../db/unavailable.ts'

/** What the service counts as it works: kept in this process for /metrics, and added up in PostgreSQL for /v1/stats. */
export interface Observations {
  /** Requests stored by intake. */
  accepted: (count?: number) => void
  hubspotAttempt: NonNullable<HubSpotClientOptions['onAttempt']>
  requestsSettled: (settled: SettledRequests) => void
  /** Writes this process's counts not yet in PostgreSQL (before /v1/stats reads them). */
  flush: () => Promise<void>
}

declare module 'fastify' {
  interface FastifyInstance {
    observations: Observations
  }
}

export interface MetricsPluginOptions {
  /** How often counts go to PostgreSQL; a kill loses at most this much of them. */
  flushIntervalMs?: number
}

const FLUSH_INTERVAL_MS = 5000
// /v1/stats reads a day; a week is kept for whoever looks further back by hand
const KEEP_ACTIVITY_MS = 7 * 24 * 60 * 60 * 1000
const SCRAPE_READ_DEADLINE_MS = 1000
// Only the API counts toward the error rate: probes, metrics, the page and the docs are not callers' requests
const API_ROUTE = /^\/(?:v1|api)\//

/**
 * Prometheus metrics on GET /metrics (a registry of this app's own: several apps in one
 * process, as in tests, never mix), and the activity counts behind /v1/stats. HTTP requests are
 * counted by route pattern and status, never by path: an id or an email never becomes a label.
 */
export default fp<MetricsPluginOptions>(async function metrics (fastify, options) {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const activity: ActivityRecorder = createActivityRecorder({
    sql: fastify.sql,
    flushIntervalMs: options.flushIntervalMs ?? FLUSH_INTERVAL_MS,
    keepMinutesForMs: KEEP_ACTIVITY_MS,
    onError: (error) => fastify.log.warn({ err: error }, 'activity counts could not be written; kept for the next try')
  })

  const httpRequests = new Counter({
    name: 'contact_sync_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry]
  })
  const httpDuration = new Histogram({
    name: 'contact_sync_http_request_duration_seconds',
    help: 'Time from a request\'s arrival to its answer, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry]
  })
  const intakeAccepted = new Counter({
    name: 'contact_sync_intake_accepted_total',
    help: 'Contact requests stored by intake (answered 202 or 200)',
    registers: [registry]
  })
  const syncOutcomes = new Counter({
    name: 'contact_sync_sync_outcomes_total',
    help: 'Requests settled by the sync, by outcome (synced, failed)',
    labelNames: ['outcome'] as const,
    registers: [registry]
  })
  const syncLatency = new Histogram({
    name: 'contact_sync_sync_latency_seconds',
    help: 'Time from a request\'s 202 to its contact being in HubSpot',
    buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
    registers: [registry]
  })
  const hubspotRequests = new Counter({
    name: 'contact_sync_hubspot_requests_total',
    help: 'Attempts sent to HubSpot, by operation and status (network: no answer)',
    labelNames: ['operation', 'status'] as const,
    registers: [registry]
  })
  const hubspotRateLimited = new Counter({
    name: 'contact_sync_hubspot_rate_limited_total',
    help: 'HubSpot answers 429',
    registers: [registry]
  })
  const fastifyRef = fastify
  // eslint-disable-next-line no-new -- registered on the registry, read on scrape
  new Gauge({
    name: 'contact_sync_hubspot_budget_in_use',
    help: 'Slots of the HubSpot rate budget held now (in flight or answered within the 10 s window)',
    registers: [registry],
    collect () { this.set(fastifyRef.hubspot.budgetUsage().held) }
  })
  // eslint-disable-next-line no-new -- registered on the registry, read on scrape
  new Gauge({
    name: 'contact_sync_hubspot_budget_limit',
    help: 'Slots of the HubSpot rate budget per 10 s window (lower while HubSpot reports another consumer)',
    registers: [registry],
    collect () { this.set(fastifyRef.hubspot.budgetUsage().limit) }
  })
  // eslint-disable-next-line no-new -- registered on the registry, read on scrape
  new Gauge({
    name: 'contact_sync_hubspot_state',
    help: 'HubSpot connection state as this process last saw it: 1 for the current state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect () {
      const current = fastifyRef.hubspot.getState().state
      for (const state of HUBSPOT_STATES) this.set({ state }, state === current ? 1 : 0)
    }
  })
  const queuePending = new Gauge({ name: 'contact_sync_queue_pending', help: 'Contacts waiting for HubSpot', registers: [registry] })
  const queueOldest = new Gauge({
    name: 'contact_sync_queue_oldest_pending_seconds',
    help: 'Age of the contact that has waited longest for HubSpot (0 when none waits)',
    registers: [registry]
  })
  const requestsFailed = new Gauge({
    name: 'contact_sync_requests_failed',
    help: 'Requests HubSpot refused for good and not replayed',
    registers: [registry]
  })
  const databaseUp = new Gauge({
    name: 'contact_sync_database_up',
    help: 'Whether the queue figures could be read from PostgreSQL at this scrape (1) or not (0)',
    registers: [registry]
  })

  /** The queue figures, read once per scrape (not per gauge); a database that does not answer leaves them as they were. */
  async function readQueue () {
    try {
      const [queue, failed] = await readWithin(Promise.all([queueStats(fastify.sql), countFailedRequests(fastify.sql)]), SCRAPE_READ_DEADLINE_MS)
      queuePending.set(queue.pending)
      queueOldest.set(queue.oldestPendingSeconds ?? 0)
      requestsFailed.set(failed)
      databaseUp.set(1)
    } catch {
      databaseUp.set(0)
    }
  }

  // Children by label values, found once: a request then costs a map lookup, not a label hash
  const answeredBy = new Map<string, { count: () => void, time: (seconds: number) => void }>()
  function countAnswer (request: FastifyRequest, reply: FastifyReply) {
    const route = request.routeOptions.url ?? 'unmatched'
    const key = `${request.method} ${route} ${reply.statusCode}`
    let answered = answeredBy.get(key)
    if (answered === undefined) {
      const counter = httpRequests.labels(request.method, route, String(reply.statusCode))
      const timer = httpDuration.labels(request.method, route)
      answered = { count: () => counter.inc(), time: (seconds) => timer.observe(seconds) }
      answeredBy.set(key, answered)
    }
    answered.count()
    answered.time(reply.elapsedTime / 1000)
    if (API_ROUTE.test(route)) activity.answered(reply.statusCode)
  }
  fastify.addHook('onResponse', (request, reply, done) => {
    countAnswer(request, reply)
    done()
  })

  const hubspotBy = new Map<string, () => void>()
  fastify.decorate<Observations>('observations', {
    accepted (count = 1) {
      intakeAccepted.inc(count)
      activity.accepted(count)
    },
    hubspotAttempt ({ operation, status }) {
      const key = `${operation} ${status ?? 'network'}`
      let inc = hubspotBy.get(key)
      if (inc === undefined) {
        const child = hubspotRequests.labels(operation, String(status ?? 'network'))
        inc = () => child.inc()
        hubspotBy.set(key, inc)
      }
      inc()
      if (status === 429) hubspotRateLimited.inc()
      activity.hubspotCall(status)
    },
    requestsSettled (settled) {
      if (settled.synced > 0) syncOutcomes.inc({ outcome: 'synced' }, settled.synced)
      if (settled.failed > 0) syncOutcomes.inc({ outcome: 'failed' }, settled.failed)
      for (const latencyMs of settled.syncedLatenciesMs) syncLatency.observe(latencyMs / 1000)
      activity.settled(settled)
    },
    flush: () => activity.flush()
  })
  // After the sync's preClose has settled its last batch, before the database closes
  fastify.addHook('onClose', async () => {
    await activity.close().catch((error: unknown) => fastify.log.warn({ err: error }, 'the last activity counts could not be written'))
  })

  fastify.get('/metrics', {
    logLevel: 'warn',
    schema: {
      summary: 'Prometheus metrics (text format 0.0.4)',
      tags: ['operations'],
      response: { 200: Type.String() }
    }
  }, async (_request, reply) => {
    await readQueue()
    return reply.type(registry.contentType).send(await registry.metrics())
  })
}, { name: 'metrics', dependencies: ['database'] })

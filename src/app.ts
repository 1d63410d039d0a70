import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifySchemaValidationError, type FastifyServerOptions } from 'fastify'
import config, { type ConfigOptions } from './config/index.ts'
import database from './db/index.ts'
import health from './health/index.ts'
import hubspot, { type HubSpotTuning } from './hubspot/plugin.ts'
import hubspotRoutes from './hubspot/routes.ts'
import sync, { type SyncPluginOptions } from './sync/plugin.ts'
import contactRoutes from './contacts/routes.ts'
import { createIntake } from './contacts/intake.ts'
import { createContactSearch } from './contacts/search.ts'
import { requireApiKey } from './auth/api-keys.ts'

export interface AppOptions extends ConfigOptions {
  logger?: FastifyServerOptions['logger']
  /** Timings tests tighten; production runs on the defaults. */
  hubspotTuning?: HubSpotTuning
  sync?: SyncPluginOptions
}

// The contract: a 503 comes within 2 s when the database is unreachable (reads alike)
const INTAKE_DEADLINE_MS = 1500
const READ_DEADLINE_MS = 1500
// A contact HubSpot confirmed this recently is answered from the mirror; a not-found is remembered briefly
const MIRROR_FRESH_SECONDS = 10 * 60
const NOT_FOUND_REMEMBERED_SECONDS = 60
// Statements the hot paths keep out at once, each: together within the pool (src/db/index.ts)
const HOT_PATH_STATEMENTS = 4

/** Secrets that must never reach a log line, wherever they are nested. */
export const REDACTED_LOG_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'accessToken',
  'token',
  '*.accessToken',
  '*.token',
  'config.hubspot.accessToken',
  'HUBSPOT_ACCESS_TOKEN',
  'HUBSPOT_API_KEY',
  'API_KEYS'
]

export function loggerOptions (level = 'info'): FastifyServerOptions['logger'] {
  return { level, redact: { paths: REDACTED_LOG_PATHS, censor: '[redacted]' } }
}

/**
 * Two info lines per request cost about a third of the intake's CPU (bench/, LOG_LEVEL=info):
 * a request that succeeded is logged at debug, one that failed (4xx, 5xx, thrown) as before,
 * and every line still carries the request id.
 */
class FailuresOnlyLogController extends LogController {
  incomingRequest (request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error || reply.statusCode >= 400) super.requestCompleted(error, request, reply)
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }
}

/** Validation messages that name the offending property, e.g. "body/properties/nickname is not an allowed property". */
function describeSchemaErrors (errors: FastifySchemaValidationError[], dataVar: string): Error {
  const [first] = errors
  const unknown = (first as { propertyName?: string }).propertyName ?? first.params?.propertyName ?? first.params?.additionalProperty
  const message = unknown === undefined
    ? `${dataVar}${first.instancePath} ${first.message ?? 'is invalid'}`
    : `${dataVar}${first.instancePath}/${String(unknown)} is not an allowed property`
  return new Error(message)
}

/** Builds the service from its plugins; tests `inject` into it without a port. */
export async function buildApp (options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? loggerOptions(),
    requestIdHeader: 'x-request-id',
    logController: new FailuresOnlyLogController(),
    // Behind NGINX on loopback or a private (Docker) network: the client is the forwarded address
    trustProxy: ['loopback', 'uniquelocal'],
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    // Probes and frontends get a fresh connection after a restart rather than a reset one
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, allowUnionTypes: true } },
    schemaErrorFormatter: describeSchemaErrors
  })
  // Only JSON bodies: anything else is a 415
  app.removeContentTypeParser('text/plain')
  // The id in every log line of the request, handed back so a caller or NGINX can quote it
  app.addHook('onSend', async (request, reply) => { reply.header('x-request-id', request.id) })
  await app.register(config, { env: options.env })
  await app.register(database)
  await app.register(health)
  await app.register(hubspot, { tuning: options.hubspotTuning })
  await app.register(sync, options.sync ?? {})

  const intake = createIntake(app.sql, { deadlineMs: INTAKE_DEADLINE_MS, maxInFlight: HOT_PATH_STATEMENTS, maxGroup: 500 })
  const findContact = createContactSearch({
    sql: app.sql,
    hubspot: app.hubspot,
    properties: ['email', ...app.config.contactProperties],
    freshForSeconds: MIRROR_FRESH_SECONDS,
    notFoundForSeconds: NOT_FOUND_REMEMBERED_SECONDS,
    maxReadsInFlight: HOT_PATH_STATEMENTS,
    readDeadlineMs: READ_DEADLINE_MS
  })
  const checkApiKey = requireApiKey(app.config.apiKeys)
  await app.register(async (v1) => {
    v1.addHook('onRequest', checkApiKey)
    await v1.register(contactRoutes, { intake, events: app.syncEvents, findContact, readDeadlineMs: READ_DEADLINE_MS })
  }, { prefix: '/v1' })
  await app.register(async (api) => {
    api.addHook('onRequest', checkApiKey)
    await api.register(hubspotRoutes)
  }, { prefix: '/api' })
  return app
}

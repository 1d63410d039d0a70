import Fastify, {
  type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest,
  type FastifySchemaValidationError, type FastifyServerOptions
} from 'fastify'
import { compile as compileTrust } from '@fastify/proxy-addr'
import config, { type ConfigOptions } from './config/index.ts'
import database from './db/index.ts'
import hubspot, { type HubSpotTuning } from './hubspot/plugin.ts'
import checkRoutes from './checks/routes.ts'
import sync, { type SyncPluginOptions } from './sync/plugin.ts'
import contacts from './contacts/plugin.ts'
import contactRoutes from './contacts/routes.ts'
import health from './health/index.ts'
import retention from './contacts/retention-plugin.ts'
import metrics, { type MetricsPluginOptions } from './metrics/plugin.ts'
import { statsRoutes, statusPage } from './stats/routes.ts'
import { requireApiKey } from './auth/api-keys.ts'
import { handleError } from './http/error-handler.ts'
import { QuietRequestLogController } from './http/log-controller.ts'
import { requestId } from './http/request-id.ts'
import { limitRate } from './http/rate-limit.ts'
import { allowBrowserIntake } from './http/cors.ts'
import shutdown from './http/shutdown.ts'
import openapi from './http/openapi.ts'

export interface AppOptions extends ConfigOptions {
  logger?: FastifyServerOptions['logger']
  /** Timings tests tighten; production runs on the defaults. */
  hubspotTuning?: HubSpotTuning
  sync?: SyncPluginOptions
  metrics?: MetricsPluginOptions
}

// A request (headers and a 64 KiB body) must arrive within this: a body trickled a byte at a
// time would otherwise hold its socket and memory forever. Checked every 2 s, not Node's 30 s.
const REQUEST_RECEIVE_TIMEOUT_MS = 15_000
const HEADERS_RECEIVE_TIMEOUT_MS = 10_000
// An idle socket is closed after this: longer than the longest Prefer: wait (30 s)
const SOCKET_IDLE_TIMEOUT_MS = 60_000
const MAX_PATH_PARAMETER_LENGTH = 100

/** Secrets that must never reach a log line, wherever they are nested. */
const REDACTED_LOG_PATHS = [
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

/** Validation messages that name the offending property, e.g. "body/properties/nickname is not an allowed property". */
function describeSchemaErrors (errors: FastifySchemaValidationError[], dataVar: string): Error {
  const [first] = errors
  const unknown = (first as { propertyName?: string }).propertyName ?? first.params?.propertyName ?? first.params?.additionalProperty
  const message = unknown === undefined
    ? `${dataVar}${first.instancePath} ${first.message ?? 'is invalid'}`
    : `${dataVar}${first.instancePath}/${String(unknown)} is not an allowed property`
  return new Error(message)
}

/** A path the router refused (too long a parameter, a malformed escape): answered without echoing it. */
function refuseUrl (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
  const statusCode = tooLong ? 414 : 400
  return reply.code(statusCode).send({
    statusCode,
    error: tooLong ? 'URI Too Long' : 'Bad Request',
    message: tooLong ? `A path parameter is longer than ${MAX_PATH_PARAMETER_LENGTH} characters` : 'The URL is not valid'
  })
}

/** Builds the service from its plugins; tests `inject` into it without a port. */
export async function buildApp (options: AppOptions = {}): Promise<FastifyInstance> {
  // Known once the configuration is read (TRUST_PROXY); nothing is trusted before that
  let trustedProxy = (_address: string, _hop: number) => false
  const app = Fastify({
    logger: options.logger ?? loggerOptions(),
    requestIdHeader: false,
    genReqId: requestId,
    logController: new QuietRequestLogController(),
    trustProxy: (address, hop) => trustedProxy(address, hop),
    bodyLimit: 64 * 1024,
    // Fastify's 10 s per plugin is the database's own startup deadline: on a busy machine the
    // embedded database's start alone came near it. Within the contract's 15 s for a failed start
    pluginTimeout: 14_000,
    requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS,
    connectionTimeout: SOCKET_IDLE_TIMEOUT_MS,
    http: { requestTimeout: REQUEST_RECEIVE_TIMEOUT_MS, headersTimeout: HEADERS_RECEIVE_TIMEOUT_MS, connectionsCheckingInterval: 2000 },
    routerOptions: { maxParamLength: MAX_PATH_PARAMETER_LENGTH },
    frameworkErrors: refuseUrl,
    // Probes and frontends get a fresh connection after a restart rather than a reset one
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, allowUnionTypes: true } },
    schemaErrorFormatter: describeSchemaErrors
  })
  app.decorateRequest('caller', undefined)
  app.setErrorHandler(handleError)
  // Fastify's own 404 echoes the path, which a scanner makes kilobytes long
  app.setNotFoundHandler((request, reply) => reply.code(404).send({
    statusCode: 404,
    error: 'Not Found',
    message: `No route ${request.method} ${request.url.split('?', 1)[0].slice(0, 100)}`
  }))
  // Only JSON bodies: anything else is a 415
  app.removeContentTypeParser('text/plain')
  // The id in every log line of the request, handed back so a caller or NGINX can quote it
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id)
    done(null, payload)
  })
  await app.register(shutdown)
  await app.register(openapi)
  await app.register(config, { env: options.env })
  trustedProxy = compileTrust(app.config.trustProxy)
  await app.register(database)
  await app.register(metrics, options.metrics ?? {})
  const observe = app.observations
  await app.register(hubspot, { tuning: options.hubspotTuning, onAttempt: observe.hubspotAttempt })
  await app.register(sync, { ...options.sync, onRequestsSettled: observe.requestsSettled })
  await app.register(health)
  await app.register(contacts)
  await app.register(retention)
  await app.register(statusPage)
  await allowBrowserIntake(app, app.config.corsOrigins)

  const checkApiKey = requireApiKey(app.config.apiKeys)
  const rateLimits = { intakePerMinute: app.config.intakeRatePerMinute, keyPerMinute: app.config.keyRatePerMinute }
  await app.register(async (v1) => {
    v1.addHook('onRequest', checkApiKey)
    await limitRate(v1, rateLimits)
    await v1.register(contactRoutes)
    await v1.register(statsRoutes)
  }, { prefix: '/v1' })
  await app.register(async (api) => {
    api.addHook('onRequest', checkApiKey)
    await limitRate(api, rateLimits)
    await api.register(checkRoutes)
  }, { prefix: '/api' })
  return app
}

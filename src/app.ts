import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import config, { type ConfigOptions } from './config/index.ts'
import database from './db/index.ts'
import health from './health/index.ts'

export interface AppOptions extends ConfigOptions {
  logger?: FastifyServerOptions['logger']
}

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

/** Builds the service from its plugins; tests `inject` into it without a port. */
export async function buildApp (options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? loggerOptions(),
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    bodyLimit: 64 * 1024,
    // Probes and frontends get a fresh connection after a restart rather than a reset one
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } }
  })
  await app.register(config, { env: options.env })
  await app.register(database)
  await app.register(health)
  return app
}

import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import { EnvSchema, type Env } from './schema.ts'

export interface AppConfig {
  port: number
  host: string
  production: boolean
  /** Unset: the embedded PostgreSQL keeps its files in dataDir. */
  databaseUrl: string | undefined
  dataDir: string
  hubspot: {
    accessToken: string | undefined
    baseUrl: string
    timeoutMs: number
    maxRetries: number
    requestsPer10s: number
  }
  apiKeys: string[]
  contactProperties: string[]
  logLevel: string
  deployColor: 'blue' | 'green' | undefined
}

export interface ConfigOptions {
  /** The environment to read instead of process.env and .env (tests). */
  env?: Record<string, string | undefined>
}

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
  }
}

/** Thrown for a configuration the service must not start with; its message is one line. */
export class ConfigError extends Error {
  name = 'ConfigError'
}

interface AjvError { instancePath: string, message?: string, params: Record<string, unknown> }

function describeInvalidEnv (errors: AjvError[]): string {
  const problems = errors.map((error) => {
    const variable = error.instancePath.replace(/^\//, '') || String(error.params.missingProperty ?? '')
    const allowed = Array.isArray(error.params.allowedValues) ? ` (${error.params.allowedValues.filter(Boolean).join(', ')})` : ''
    return `${variable} ${error.message ?? 'is invalid'}${allowed}`
  })
  return `Invalid configuration: ${[...new Set(problems)].join('; ')}`
}

function splitList (value: string): string[] {
  return value.split(',').map((item) => item.trim()).filter(Boolean)
}

export function toAppConfig (env: Env): AppConfig {
  const production = env.NODE_ENV === 'production'
  const accessToken = env.HUBSPOT_ACCESS_TOKEN || env.HUBSPOT_API_KEY || undefined
  const apiKeys = splitList(env.API_KEYS)
  if (production) {
    const missing = [
      accessToken ? undefined : 'HUBSPOT_ACCESS_TOKEN (or HUBSPOT_API_KEY)',
      apiKeys.length > 0 ? undefined : 'API_KEYS'
    ].filter(Boolean)
    if (missing.length > 0) {
      throw new ConfigError(`Invalid configuration: NODE_ENV=production requires ${missing.join(' and ')}`)
    }
  }
  return {
    port: env.PORT,
    host: env.HOST,
    production,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR,
    hubspot: {
      accessToken,
      baseUrl: env.HUBSPOT_BASE_URL.replace(/\/+$/, ''),
      timeoutMs: env.HUBSPOT_TIMEOUT_MS,
      maxRetries: env.HUBSPOT_MAX_RETRIES,
      requestsPer10s: env.HUBSPOT_REQUESTS_PER_10S
    },
    apiKeys,
    contactProperties: splitList(env.CONTACT_PROPERTIES),
    logLevel: env.LOG_LEVEL,
    deployColor: env.DEPLOY_COLOR || undefined
  }
}

/** Reads the environment (process.env and .env, or options.env) once and decorates `fastify.config`. */
export default fp<ConfigOptions>(async function config (fastify, options) {
  const source = options.env === undefined
    ? { dotenv: true }
    : { env: false, dotenv: false, data: options.env }
  try {
    await fastify.register(fastifyEnv, { confKey: 'env', schema: EnvSchema, ...source })
  } catch (error) {
    const errors = (error as { errors?: AjvError[] }).errors
    throw errors ? new ConfigError(describeInvalidEnv(errors)) : error
  }
  const appConfig = toAppConfig((fastify as unknown as { env: Env }).env)
  fastify.decorate('config', appConfig)
  fastify.log.level = appConfig.logLevel
}, { name: 'config' })

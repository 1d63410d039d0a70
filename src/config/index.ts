import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import { compile as compileTrust } from '@fastify/proxy-addr'
import { EnvSchema, type Env } from './schema.ts'
import { parseApiKeys, type ApiKey } from './api-keys.ts'

export interface AppConfig {
  port: number
  host: string
  /** NODE_ENV is neither development nor test: the checks are on (a typo included). */
  strict: boolean
  /** Unset: the embedded PostgreSQL keeps its files in dataDir. */
  databaseUrl: string | undefined
  dataDir: string
  hubspot: {
    accessToken: string | undefined
    baseUrl: string
    timeoutMs: number
    maxRetries: number
    requestsPer10s: number
    /** The largest share of the budget that search misses and the checks may take. */
    lookupShare: number
  }
  /** Empty: no auth (development and test only). */
  apiKeys: ApiKey[]
  /** Exact origins whose pages may POST contacts; empty: no CORS. */
  corsOrigins: string[]
  /** Per minute: posts per client address with an intake key, requests per read / admin key; 0: no limit. */
  intakeRatePerMinute: number
  keyRatePerMinute: number
  /** Addresses, CIDR ranges or proxy-addr's names (loopback, linklocal, uniquelocal) whose X-Forwarded-For is believed. */
  trustProxy: string[]
  retentionDays: number
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

const RELAXED_NODE_ENVS = new Set(['development', 'test'])
// NGINX in front, on loopback or a private (Docker) network
const DEFAULT_TRUST_PROXY = ['loopback', 'uniquelocal']

function invalid (message: string): ConfigError {
  return new ConfigError(`Invalid configuration: ${message}`)
}

/** The token goes wherever this URL points: no user-info (`https://api.hubapi.com@evil.example`), no query. */
function hubspotBaseUrl (value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw invalid('HUBSPOT_BASE_URL is not a URL')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('HUBSPOT_BASE_URL must be http:// or https://')
  if (url.username !== '' || url.password !== '') throw invalid('HUBSPOT_BASE_URL must not hold user-info (user@ before the host)')
  if (url.search !== '' || url.hash !== '') throw invalid('HUBSPOT_BASE_URL must not hold a query or a fragment')
  return url
}

function corsOrigins (value: string): string[] {
  return splitList(value).map((origin) => {
    let url: URL | undefined
    try { url = new URL(origin) } catch {}
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin) {
      throw invalid(`CORS_ORIGINS entry "${origin}" is not an exact origin like https://www.example.com (scheme and host, no path or trailing slash)`)
    }
    return origin
  })
}

function trustedProxies (value: string): string[] {
  const entries = splitList(value)
  if (entries.length === 0) return DEFAULT_TRUST_PROXY
  try {
    compileTrust(entries)
  } catch {
    throw invalid('TRUST_PROXY must list addresses, CIDR ranges or proxy-addr\'s names (loopback, linklocal, uniquelocal), comma-separated')
  }
  return entries
}

function toAppConfig (env: Env): AppConfig {
  const strict = !RELAXED_NODE_ENVS.has(env.NODE_ENV)
  const accessToken = env.HUBSPOT_ACCESS_TOKEN || env.HUBSPOT_API_KEY || undefined
  let apiKeys: ApiKey[]
  try {
    apiKeys = parseApiKeys(env.API_KEYS)
  } catch (error) {
    throw invalid((error as Error).message)
  }
  if (strict) {
    const missing = [
      accessToken ? undefined : 'HUBSPOT_ACCESS_TOKEN (or HUBSPOT_API_KEY)',
      apiKeys.length > 0 ? undefined : 'API_KEYS'
    ].filter(Boolean)
    if (missing.length > 0) {
      throw invalid(`NODE_ENV=${env.NODE_ENV} requires ${missing.join(' and ')} (only development and test run without them)`)
    }
  }
  const baseUrl = hubspotBaseUrl(env.HUBSPOT_BASE_URL)
  return {
    port: env.PORT,
    host: env.HOST,
    strict,
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.DATA_DIR,
    hubspot: {
      accessToken,
      baseUrl: baseUrl.href.replace(/\/+$/, ''),
      timeoutMs: env.HUBSPOT_TIMEOUT_MS,
      maxRetries: env.HUBSPOT_MAX_RETRIES,
      requestsPer10s: env.HUBSPOT_REQUESTS_PER_10S,
      lookupShare: env.HUBSPOT_LOOKUP_SHARE
    },
    apiKeys,
    corsOrigins: corsOrigins(env.CORS_ORIGINS),
    intakeRatePerMinute: env.INTAKE_RATE_PER_MINUTE,
    keyRatePerMinute: env.KEY_RATE_PER_MINUTE,
    trustProxy: trustedProxies(env.TRUST_PROXY),
    retentionDays: env.RETENTION_DAYS,
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
  if (appConfig.strict && appConfig.hubspot.baseUrl.startsWith('http:')) {
    fastify.log.warn(
      { baseUrl: appConfig.hubspot.baseUrl },
      'HUBSPOT_BASE_URL is plain http: the token travels unencrypted (fine for a simulator, not for HubSpot)'
    )
  }
}, { name: 'config' })

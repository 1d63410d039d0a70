import { Type, type Static } from 'typebox'

function StringEnum<const T extends string[]> (values: T, options: { default?: T[number] } = {}) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, ...options })
}

const DEFAULT_CONTACT_PROPERTIES =
  'firstname,lastname,phone,company,website,jobtitle,city,state,country,zip,message'

/** Every variable of the contract, in one schema: validation, defaults and types. */
export const EnvSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0' }),
  NODE_ENV: Type.String({ minLength: 1, default: 'development' }),
  DATABASE_URL: Type.Optional(Type.String({ pattern: '^$|^postgres(ql)?://.+' })),
  DATA_DIR: Type.String({ minLength: 1, default: './data' }),
  HUBSPOT_ACCESS_TOKEN: Type.Optional(Type.String()),
  HUBSPOT_API_KEY: Type.Optional(Type.String()),
  HUBSPOT_BASE_URL: Type.String({ pattern: '^https?://[^\\s/]+', default: 'https://api.hubapi.com' }),
  HUBSPOT_TIMEOUT_MS: Type.Integer({ minimum: 1, maximum: 120_000, default: 10000 }),
  HUBSPOT_MAX_RETRIES: Type.Integer({ minimum: 0, maximum: 20, default: 5 }),
  HUBSPOT_REQUESTS_PER_10S: Type.Integer({ minimum: 1, default: 100 }),
  API_KEYS: Type.String({ default: '' }),
  CORS_ORIGINS: Type.String({ default: '' }),
  INTAKE_RATE_PER_MINUTE: Type.Integer({ minimum: 0, default: 20 }),
  KEY_RATE_PER_MINUTE: Type.Integer({ minimum: 0, default: 0 }),
  // '' means the default, like DEPLOY_COLOR
  TRUST_PROXY: Type.String({ default: '' }),
  HUBSPOT_LOOKUP_SHARE: Type.Number({ minimum: 0, maximum: 1, default: 0.2 }),
  RETENTION_DAYS: Type.Integer({ minimum: 1, default: 30 }),
  CONTACT_PROPERTIES: Type.String({ pattern: '^[a-z0-9_]+(,[a-z0-9_]+)*$', default: DEFAULT_CONTACT_PROPERTIES }),
  LOG_LEVEL: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  // '' means unset, so that a copied .env.example with empty values still starts
  DEPLOY_COLOR: Type.Optional(StringEnum(['', 'blue', 'green']))
})

export type Env = Static<typeof EnvSchema>

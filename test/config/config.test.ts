import { test } from 'tap'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { Writable } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApp } from '../../src/app.ts'
import { ConfigError } from '../../src/config/index.ts'
import { buildTestApp } from '../helpers/app.ts'
import { temporaryDirectory, testEnv } from '../helpers/database.ts'
import { runServer } from '../helpers/process.ts'

async function configError (env: Record<string, string>): Promise<Error> {
  try {
    const app = await buildApp({ env, logger: false })
    await app.close()
  } catch (error) {
    return error as Error
  }
  throw new Error('the app started')
}

test('every variable has the contract default', async (t) => {
  const app = await buildTestApp(t)
  t.equal(app.config.port, 3000)
  t.equal(app.config.host, '0.0.0.0')
  t.equal(app.config.strict, false)
  t.equal(app.config.hubspot.baseUrl, 'https://api.hubapi.com')
  t.equal(app.config.hubspot.timeoutMs, 10000)
  t.equal(app.config.hubspot.maxRetries, 5)
  t.equal(app.config.hubspot.requestsPer10s, 100)
  t.equal(app.config.hubspot.accessToken, undefined)
  t.same(app.config.apiKeys, [])
  t.same(app.config.contactProperties,
    ['firstname', 'lastname', 'phone', 'company', 'website', 'jobtitle', 'city', 'state', 'country', 'zip', 'message'])
  t.equal(app.config.deployColor, undefined)
})

test('values are typed and lists are split', async (t) => {
  const app = await buildTestApp(t, {
    PORT: '8080',
    HUBSPOT_TIMEOUT_MS: '2500',
    API_KEYS: 'key-one-0123456789, read:key-two-0123456789',
    CONTACT_PROPERTIES: 'firstname,lifecyclestage',
    DEPLOY_COLOR: 'green',
    HUBSPOT_BASE_URL: 'http://127.0.0.1:4010/'
  })
  t.equal(app.config.port, 8080)
  t.equal(app.config.hubspot.timeoutMs, 2500)
  t.same(app.config.apiKeys, [{ scope: 'admin', key: 'key-one-0123456789' }, { scope: 'read', key: 'key-two-0123456789' }])
  t.same(app.config.contactProperties, ['firstname', 'lifecyclestage'])
  t.equal(app.config.deployColor, 'green')
  t.equal(app.config.hubspot.baseUrl, 'http://127.0.0.1:4010', 'a trailing slash is dropped')
})

test('HUBSPOT_API_KEY is an alias of HUBSPOT_ACCESS_TOKEN', async (t) => {
  const app = await buildTestApp(t, { HUBSPOT_API_KEY: 'pat-alias' })
  t.equal(app.config.hubspot.accessToken, 'pat-alias')
})

test('a wrong value stops the start with one line naming the variable', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DATABASE_URL: 'mysql://db/x' }, 'DATABASE_URL'],
    [{ HUBSPOT_BASE_URL: 'not a url' }, 'HUBSPOT_BASE_URL'],
    [{ HUBSPOT_TIMEOUT_MS: 'soon' }, 'HUBSPOT_TIMEOUT_MS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ DEPLOY_COLOR: 'purple' }, 'DEPLOY_COLOR'],
    [{ CONTACT_PROPERTIES: 'first name' }, 'CONTACT_PROPERTIES'],
    [{ HUBSPOT_TIMEOUT_MS: '3000000000' }, 'HUBSPOT_TIMEOUT_MS'],
    [{ HUBSPOT_TIMEOUT_MS: '120001' }, 'HUBSPOT_TIMEOUT_MS'],
    [{ HUBSPOT_BASE_URL: 'https://api.hubapi.com@evil.example' }, 'HUBSPOT_BASE_URL'],
    [{ HUBSPOT_BASE_URL: 'https://user:pass@api.hubapi.com' }, 'HUBSPOT_BASE_URL'],
    [{ HUBSPOT_BASE_URL: 'ftp://api.hubapi.com' }, 'HUBSPOT_BASE_URL'],
    [{ HUBSPOT_LOOKUP_SHARE: '1.5' }, 'HUBSPOT_LOOKUP_SHARE'],
    [{ HUBSPOT_LOOKUP_SHARE: 'some' }, 'HUBSPOT_LOOKUP_SHARE'],
    [{ INTAKE_RATE_PER_MINUTE: '-1' }, 'INTAKE_RATE_PER_MINUTE'],
    [{ KEY_RATE_PER_MINUTE: 'many' }, 'KEY_RATE_PER_MINUTE'],
    [{ RETENTION_DAYS: '0' }, 'RETENTION_DAYS'],
    [{ TRUST_PROXY: 'nginx.internal' }, 'TRUST_PROXY'],
    [{ TRUST_PROXY: '10.0.0.0/99' }, 'TRUST_PROXY'],
    [{ CORS_ORIGINS: 'https://www.example.com/' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'www.example.com' }, 'CORS_ORIGINS'],
    [{ API_KEYS: 'short-key' }, 'API_KEYS'],
    [{ API_KEYS: 'owner:valid-length-key-0123' }, 'API_KEYS'],
    [{ API_KEYS: 'read:valid-length-key-0123,intake:has a space in it 0123' }, 'API_KEYS'],
    [{ API_KEYS: `admin:${'k'.repeat(257)}` }, 'API_KEYS']
  ]
  for (const [env, variable] of cases) {
    const error = await configError(env)
    t.type(error, ConfigError, `${variable} is rejected`)
    t.match(error.message, variable)
    t.notMatch(error.message, '\n', 'on one line')
  }
})

test('a bad API key is named by its position, never echoed', async (t) => {
  const error = await configError({ API_KEYS: 'intake:frontend-key-0123456789,read:secret but has spaces' })
  t.match(error.message, 'API_KEYS entry 2 of 2')
  t.notMatch(error.message, 'secret')
  t.notMatch(error.message, 'frontend-key')
})

test('keys take a scope prefix; a bare key is an admin key', async (t) => {
  const app = await buildTestApp(t, { API_KEYS: 'intake:form-key-0123456789, read:support-key-0123456789,ops.Key_~+/=-0123456789' })
  t.same(app.config.apiKeys, [
    { scope: 'intake', key: 'form-key-0123456789' },
    { scope: 'read', key: 'support-key-0123456789' },
    { scope: 'admin', key: 'ops.Key_~+/=-0123456789' }
  ])
})

test('the edge settings have the contract defaults and take lists', async (t) => {
  const defaults = await buildTestApp(t)
  t.same(defaults.config.corsOrigins, [])
  t.equal(defaults.config.intakeRatePerMinute, 20)
  t.equal(defaults.config.keyRatePerMinute, 0)
  t.same(defaults.config.trustProxy, ['loopback', 'uniquelocal'])
  t.equal(defaults.config.hubspot.lookupShare, 0.2)
  t.equal(defaults.config.retentionDays, 30)
  const set = await buildTestApp(t, {
    CORS_ORIGINS: 'https://www.example.com, http://localhost:5173',
    TRUST_PROXY: '10.1.0.0/16,192.0.2.7',
    HUBSPOT_LOOKUP_SHARE: '0.5',
    HUBSPOT_TIMEOUT_MS: '120000'
  })
  t.same(set.config.corsOrigins, ['https://www.example.com', 'http://localhost:5173'])
  t.same(set.config.trustProxy, ['10.1.0.0/16', '192.0.2.7'])
  t.equal(set.config.hubspot.lookupShare, 0.5)
  t.equal(set.config.hubspot.timeoutMs, 120000, 'the largest timeout allowed')
})

test('any NODE_ENV but development and test turns the checks on: a typo fails closed', async (t) => {
  for (const nodeEnv of ['prod', 'Production', 'staging', 'production ']) {
    const error = await configError({ NODE_ENV: nodeEnv })
    t.type(error, ConfigError, `NODE_ENV=${nodeEnv} needs keys`)
    t.match(error.message, /HUBSPOT_ACCESS_TOKEN.*API_KEYS/)
  }
  for (const nodeEnv of ['development', 'test']) {
    const app = await buildTestApp(t, { NODE_ENV: nodeEnv })
    t.equal(app.config.strict, false, `NODE_ENV=${nodeEnv} runs without keys`)
  }
})

test('a plain http HUBSPOT_BASE_URL outside development starts, with a warning', async (t) => {
  const lines: string[] = []
  const stream = new Writable({ write (chunk, _encoding, done) { lines.push(String(chunk)); done() } })
  const app = await buildApp({
    env: await testEnv(t, { NODE_ENV: 'production', LOG_LEVEL: 'warn', HUBSPOT_BASE_URL: 'http://simulator:4010', HUBSPOT_ACCESS_TOKEN: 'pat-x', API_KEYS: 'operator-key-0123456789' }),
    logger: { level: 'warn', stream }
  })
  t.teardown(() => app.close())
  await app.ready()
  t.match(lines.join(''), /HUBSPOT_BASE_URL is plain http/)
  t.notMatch(lines.join(''), 'pat-x')
})

test('production refuses to start without a HubSpot token or API keys, saying which', async (t) => {
  const both = await configError({ NODE_ENV: 'production' })
  t.match(both.message, /HUBSPOT_ACCESS_TOKEN.*API_KEYS/)
  const keys = await configError({ NODE_ENV: 'production', HUBSPOT_ACCESS_TOKEN: 'pat-x' })
  t.match(keys.message, 'API_KEYS')
  t.notMatch(keys.message, 'HUBSPOT_ACCESS_TOKEN')
  const token = await configError({ NODE_ENV: 'production', API_KEYS: 'operator-key-0123456789' })
  t.match(token.message, 'HUBSPOT_ACCESS_TOKEN')
  t.notMatch(token.message, 'API_KEYS')
})

test('the process reads .env from its working directory and exits with one line naming the variable', async (t) => {
  const cwd = await temporaryDirectory(t)
  await writeFile(join(cwd, '.env'), 'PORT=abc\n')
  const result = await runServer({ cwd, env: {} })
  t.not(result.code, 0)
  t.equal(result.stderr.trim().split('\n').length, 1)
  t.match(result.stderr, 'PORT')
})

test('PORT=abc stops the process with a non-zero exit and one line naming PORT', async (t) => {
  const result = await runServer({ env: { PORT: 'abc' } })
  t.not(result.code, 0)
  t.match(result.stderr.trim(), /^Invalid configuration: PORT .*$/)
})

test('NODE_ENV=production without token or keys exits non-zero naming both', async (t) => {
  const result = await runServer({ env: { NODE_ENV: 'production' } })
  t.not(result.code, 0)
  t.match(result.stderr, /HUBSPOT_ACCESS_TOKEN.*API_KEYS/)
})

test('NODE_ENV=prod with no keys refuses to start with one line', async (t) => {
  const result = await runServer({ env: { NODE_ENV: 'prod', HUBSPOT_ACCESS_TOKEN: 'pat-x' } })
  t.not(result.code, 0)
  t.match(result.stderr.trim(), /^Invalid configuration: NODE_ENV=prod requires API_KEYS[^\n]*$/)
})

test('a database that never answers stops the start within 15 s, naming DATABASE_URL but not its password', async (t) => {
  // Accepts connections and never says a word: a blackholed address
  const sockets = new Set<Socket>()
  const silent = createServer((socket) => { sockets.add(socket) })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { for (const socket of sockets) socket.destroy(); silent.close() })
  const { port } = silent.address() as AddressInfo
  const started = Date.now()
  const result = await runServer({ env: { DATABASE_URL: `postgres://app:hunter2-secret@127.0.0.1:${port}/contacts` }, timeoutMs: 30_000 })
  const took = Date.now() - started
  t.not(result.code, 0)
  t.ok(took < 15_000, `stopped after ${took} ms`)
  t.match(result.stderr, `DATABASE_URL (127.0.0.1:${port}/contacts)`)
  t.notMatch(result.stderr, 'hunter2')
  t.equal(result.stderr.trim().split('\n').length, 1, 'one line')
})

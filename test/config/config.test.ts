import { test } from 'tap'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApp } from '../../src/app.ts'
import { ConfigError } from '../../src/config/index.ts'
import { buildTestApp } from '../helpers/app.ts'
import { temporaryDirectory } from '../helpers/database.ts'
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
  t.equal(app.config.production, false)
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
    API_KEYS: 'key-one, key-two',
    CONTACT_PROPERTIES: 'firstname,lifecyclestage',
    DEPLOY_COLOR: 'green',
    HUBSPOT_BASE_URL: 'http://127.0.0.1:4010/'
  })
  t.equal(app.config.port, 8080)
  t.equal(app.config.hubspot.timeoutMs, 2500)
  t.same(app.config.apiKeys, ['key-one', 'key-two'])
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
    [{ CONTACT_PROPERTIES: 'first name' }, 'CONTACT_PROPERTIES']
  ]
  for (const [env, variable] of cases) {
    const error = await configError(env)
    t.type(error, ConfigError, `${variable} is rejected`)
    t.match(error.message, variable)
    t.notMatch(error.message, '\n', 'on one line')
  }
})

test('production refuses to start without a HubSpot token or API keys, saying which', async (t) => {
  const both = await configError({ NODE_ENV: 'production' })
  t.match(both.message, /HUBSPOT_ACCESS_TOKEN.*API_KEYS/)
  const keys = await configError({ NODE_ENV: 'production', HUBSPOT_ACCESS_TOKEN: 'pat-x' })
  t.match(keys.message, 'API_KEYS')
  t.notMatch(keys.message, 'HUBSPOT_ACCESS_TOKEN')
  const token = await configError({ NODE_ENV: 'production', API_KEYS: 'k' })
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

// The access token appears in no error, message or log line, even when HubSpot
// (here a hostile server) echoes it back.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inspect } from 'node:util'
import t from 'tap'
import { createTestClient } from '../helpers/hubspot-client.ts'
import { createRecordingLogger } from '../helpers/hubspot-logger.ts'
import { startTestSimulator } from '../helpers/hubspot-simulator.ts'

const TOKEN = 'pat-na1-0f3c9a7e-secret-token-value'

t.test('errors and log lines never carry the token', async (t) => {
  let echoStatus = 400
  const server = createServer((request, response) => {
    response.writeHead(echoStatus, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ status: 'error', category: 'VALIDATION_ERROR', message: `bad request with ${request.headers.authorization}` }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => server.close())
  const logger = createRecordingLogger()
  const client = createTestClient(t, { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, accessToken: TOKEN, logger, maxRetries: 2 })

  const errors: unknown[] = []
  errors.push(await client.upsertByEmail([{ email: 'ada@example.com', properties: {} }]).catch((error: unknown) => error))
  echoStatus = 503
  errors.push(await client.readByEmail('ada@example.com', ['firstname']).catch((error: unknown) => error))
  echoStatus = 401
  errors.push(await client.checkConnection())

  const simulator = await startTestSimulator(t)
  const simulated = createTestClient(t, { baseUrl: simulator.url, accessToken: TOKEN, logger, maxRetries: 1 })
  errors.push(await simulated.upsertByEmail([{ email: 'ada@example.com', properties: {} }]).catch((error: unknown) => error))
  simulator.setFaults({ failure: { mode: 'reset' } })
  errors.push(await simulated.readByEmail('ada@example.com', []).catch((error: unknown) => error))

  t.match(errors[0], { kind: 'validation', message: /\[redacted\]/ })
  t.match(errors[1], { kind: 'unavailable', status: 503 })
  t.ok(logger.lines.length >= 5, `${logger.lines.length} log lines written`)
  for (const [index, error] of errors.entries()) {
    t.notOk(inspect(error, { depth: 6 }).includes(TOKEN), `error ${index} does not carry the token`)
  }
  t.notOk(logger.lines.some((line) => line.includes(TOKEN)), 'no log line carries the token')
  t.notOk(JSON.stringify([client.getState(), simulated.getState()]).includes(TOKEN), 'health state does not carry the token')
})

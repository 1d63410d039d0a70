// Against servers that never finish answering, a call fails within
// timeoutMs × (maxRetries + 1) plus the backoff it slept, never later.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import type { Test } from 'tap'
import { HubSpotUnavailableError } from '../../src/hubspot/errors.ts'
import { createTestClient } from '../helpers/hubspot-client.ts'

const TIMEOUT_MS = 300
const MAX_RETRIES = 2
// Event-loop and connection set-up slack; the bound itself is what is asserted.
const MARGIN_MS = 250

async function startServer (t: Test, onRequest: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server: Server = createServer(onRequest)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function measureFailure (t: Test, baseUrl: string) {
  const slept: number[] = []
  const client = createTestClient(t, {
    baseUrl,
    timeoutMs: TIMEOUT_MS,
    maxRetries: MAX_RETRIES,
    retryBaseDelayMs: 50,
    sleep: async (ms) => {
      slept.push(ms)
      await delay(ms)
    }
  })
  const startedAt = performance.now()
  const error = await client.upsertByEmail([{ email: 'ada@example.com', properties: {} }]).then(() => undefined, (error: unknown) => error)
  return { error, elapsedMs: performance.now() - startedAt, sleptMs: slept.reduce((sum, ms) => sum + ms, 0), retries: slept.length }
}

t.test('a server that accepts and never answers', async (t) => {
  let requests = 0
  const baseUrl = await startServer(t, () => { requests++ })
  const { error, elapsedMs, sleptMs, retries } = await measureFailure(t, baseUrl)
  const boundMs = TIMEOUT_MS * (MAX_RETRIES + 1) + sleptMs
  t.comment(`failed after ${Math.round(elapsedMs)} ms; bound ${Math.round(boundMs)} ms (timeout ${TIMEOUT_MS} × ${MAX_RETRIES + 1} + ${Math.round(sleptMs)} ms slept)`)
  t.type(error, HubSpotUnavailableError)
  t.match(error, { kind: 'unavailable', networkCode: 'TIMEOUT', retryable: true })
  t.equal(retries, MAX_RETRIES)
  t.equal(requests, MAX_RETRIES + 1, 'every attempt reached the server')
  t.ok(elapsedMs <= boundMs + MARGIN_MS, `${Math.round(elapsedMs)} ms ≤ ${Math.round(boundMs)} ms + margin`)
  t.ok(elapsedMs >= TIMEOUT_MS * (MAX_RETRIES + 1), 'each attempt waited its full timeout')
})

t.test('a server that sends headers and then stalls the body: the timeout covers the body too', async (t) => {
  const baseUrl = await startServer(t, (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' })
    response.write('{"status":"COMPLETE","results":[')
  })
  const { error, elapsedMs, sleptMs } = await measureFailure(t, baseUrl)
  const boundMs = TIMEOUT_MS * (MAX_RETRIES + 1) + sleptMs
  t.comment(`failed after ${Math.round(elapsedMs)} ms; bound ${Math.round(boundMs)} ms`)
  t.match(error, { kind: 'unavailable', networkCode: 'TIMEOUT' })
  t.ok(elapsedMs <= boundMs + MARGIN_MS, `${Math.round(elapsedMs)} ms ≤ ${Math.round(boundMs)} ms + margin`)
})

t.test('a refused connection is retried and reported as unreachable', async (t) => {
  const baseUrl = await startServer(t, () => {})
  const closedPort = new URL(baseUrl)
  closedPort.port = '1'
  const { error, retries } = await measureFailure(t, closedPort.origin)
  t.match(error, { kind: 'unavailable', networkCode: 'ECONNREFUSED', retryable: true })
  t.equal(retries, MAX_RETRIES)
})

import { test, type Test } from 'tap'
import { connect } from 'node:net'
import { Client } from 'undici'
import { buildApp } from '../../src/app.ts'
import { testEnv } from '../helpers/database.ts'

async function listeningApp (t: Test, env: Record<string, string> = {}) {
  const app = await buildApp({ env: await testEnv(t, env), logger: false })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, port: (app.server.address() as { port: number }).port }
}

test('a body trickled a byte at a time is cut off (408) instead of holding its socket forever', async (t) => {
  const { port } = await listeningApp(t)
  const socket = connect(port, '127.0.0.1')
  await new Promise((resolve) => socket.once('connect', resolve))
  socket.write('POST /v1/contacts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{')
  let answer = ''
  socket.on('data', (chunk) => { answer += chunk })
  const trickle = setInterval(() => { if (!socket.destroyed) socket.write(' ') }, 1000)
  const started = Date.now()
  await new Promise((resolve) => socket.once('close', resolve))
  clearInterval(trickle)
  const took = Date.now() - started
  t.match(answer, /^HTTP\/1\.1 408/, 'answered 408 Request Timeout')
  t.ok(took >= 10_000 && took < 30_000, `closed after ${took} ms (a request must arrive within 15 s)`)
})

test('once shutting down, every response carries Connection: close and the next request on that connection is refused, not reset', async (t) => {
  // No HubSpot token: a Prefer: wait is held until the shutdown answers it
  const { app, port } = await listeningApp(t)
  const client = new Client(`http://127.0.0.1:${port}`, { pipelining: 1 })
  t.teardown(() => client.destroy())
  const before = await client.request({ method: 'GET', path: '/health/live' })
  await before.body.text()
  t.not(before.headers.connection, 'close', 'keep-alive before the shutdown')

  const waiting = client.request({
    method: 'POST',
    path: '/v1/contacts',
    headers: { 'content-type': 'application/json', prefer: 'wait=20' },
    body: JSON.stringify({ email: 'in-flight@example.com' })
  })
  await new Promise((resolve) => setTimeout(resolve, 300))
  const closing = app.close()
  const answered = await waiting
  t.equal(answered.statusCode, 202, 'the in-flight request is answered')
  t.equal(answered.headers.connection, 'close')
  t.match(await answered.body.json(), { status: 'queued', email: 'in-flight@example.com' })
  await closing

  const after = await client.request({ method: 'GET', path: '/health/live' }).then(() => 'answered', (error: { code?: string }) => error.code)
  t.equal(after, 'ECONNREFUSED', 'the next request finds the port closed')
})

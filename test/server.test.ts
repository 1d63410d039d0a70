import { test } from 'tap'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { temporaryDirectory } from './helpers/database.ts'
import { STARTUP_TIMEOUT_MS, startServer, waitForStatus } from './helpers/process.ts'

test('with no environment set: ready on the embedded database in ./data, SIGTERM exits 0 within 10 s, data survives a restart', async (t) => {
  const cwd = await temporaryDirectory(t)

  const first = await startServer({ cwd, env: {} })
  t.teardown(() => { first.child.kill('SIGKILL') })
  const readyAfter = await waitForStatus(`${first.baseUrl}/health/ready`, 200, STARTUP_TIMEOUT_MS)
  t.pass(`ready after ${readyAfter} ms`)
  t.ok((await readdir(join(cwd, 'data', 'pglite'))).includes('PG_VERSION'), 'the database files are under ./data')

  const stopStarted = Date.now()
  first.child.kill('SIGTERM')
  const { code } = await first.exited
  const stopTook = Date.now() - stopStarted
  t.equal(code, 0, 'exit code 0')
  t.ok(stopTook < 10000, `stopped in ${stopTook} ms`)
  t.notMatch(first.output(), /"level":50/, 'no error logged on the way')

  const second = await startServer({ cwd, env: {} })
  t.teardown(() => { second.child.kill('SIGKILL') })
  await waitForStatus(`${second.baseUrl}/health/ready`, 200, STARTUP_TIMEOUT_MS)
  t.notMatch(second.output(), /migrations applied/, 'the second start finds the schema already there')
  second.child.kill('SIGINT')
  t.equal((await second.exited).code, 0, 'SIGINT also exits 0')
})

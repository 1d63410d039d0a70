import { test } from 'tap'
import { eventually, startSyncStack } from '../helpers/sync-stack.ts'
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.ts'

test('a 30-second HubSpot outage under steady load: every post acknowledged, all synced after recovery, none lost, none twice', async (t) => {
  let proxy: TcpProxy | undefined
  const stack = await startSyncStack(t, {
    hubspotUrl: async (simulator) => {
      const url = new URL(simulator.url)
      proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port) })
      return `http://127.0.0.1:${proxy.port}`
    }
  })
  t.teardown(() => proxy!.close())

  const acknowledged = new Set<string>()
  const refused: number[] = []
  let sent = 0
  const loadDone = new AbortController()
  // Steady load: 20 contacts a second until told to stop
  const load = (async () => {
    while (!loadDone.signal.aborted) {
      const email = `steady${sent++}@example.com`
      const { statusCode } = await stack.post({ email, properties: { firstname: 'Steady' } })
      if (statusCode === 202) acknowledged.add(email)
      else refused.push(statusCode)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()

  await new Promise((resolve) => setTimeout(resolve, 2000))
  await proxy!.setMode('refuse')
  t.comment('HubSpot refuses connections')
  await new Promise((resolve) => setTimeout(resolve, 15_000))
  await proxy!.setMode('forward')
  stack.simulator.setFaults({ failure: { mode: 'status', status: 503 } })
  t.comment('HubSpot answers 503')
  await new Promise((resolve) => setTimeout(resolve, 15_000))
  const duringOutage = (await stack.get('/health')).body
  stack.simulator.clearFaults()
  t.comment('HubSpot is back')
  await new Promise((resolve) => setTimeout(resolve, 2000))
  loadDone.abort()
  await load

  t.same(refused, [], `intake answered 202 throughout (${acknowledged.size} posts)`)
  t.ok(acknowledged.size >= 400, `${acknowledged.size} contacts posted during the run`)
  t.ok(duringOutage.queue.pending > 0, `${duringOutage.queue.pending} contacts waited during the outage`)
  t.match(duringOutage.hubspot.state, /unreachable|unknown/, `/health said ${duringOutage.hubspot.state} during the outage`)

  const drainedIn = await eventually(async () => (await stack.get('/health')).body.queue.pending === 0, 60_000, 'the queue drains after recovery')
  t.pass(`drained ${drainedIn} ms after the load stopped`)
  const inHubSpot = stack.simulator.contacts().map((c) => c.properties.email)
  t.equal(new Set(inHubSpot).size, inHubSpot.length, 'no contact twice')
  t.same([...acknowledged].filter((email) => !inHubSpot.includes(email)), [], 'every acknowledged contact is in HubSpot')
  t.equal(inHubSpot.length, acknowledged.size)
  t.equal((await stack.get('/health')).body.queue.failed, 0, 'nothing failed for waiting')
})

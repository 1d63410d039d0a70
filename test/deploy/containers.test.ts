// The deploy files for real: the image built by `docker build`, compose.yaml brought up, and
// deploy/deploy.sh and deploy/rollback.sh with their default (docker) hooks, under load through
// nginx. Needs Docker and the images .ci/containers builds; skips without them, except under
// CI=true, where a missing Docker is a failure.
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'tap'
import { request } from 'undici'
import { ADMIN_KEY, IMAGE, missingForContainers, missingIds, run, runLoad, startContainerStack, waitFor, type ContainerStack } from './helpers/containers.ts'
import { REPO_ROOT } from './helpers/stack.ts'

const missing = missingForContainers()
if (missing !== undefined && process.env.CI === 'true') {
  test('container tests', (t) => { t.fail(`CI=true and the container tests cannot run: ${missing}`); t.end() })
}
const RATE = 200
const SEED_SIZE_BYTES = 218e6

function buildTestImage (name: string): string {
  const tag = `contact-sync-test:${name}`
  const built = run('docker', ['build', '-q', '--build-arg', `BASE=${IMAGE}`, '-t', tag, join(REPO_ROOT, 'test/deploy/images', name)])
  if (built.code !== 0) throw new Error(`docker build ${name}: ${built.out}`)
  return tag
}

async function healthColor (stack: ContainerStack): Promise<string> {
  const response = await request(`${stack.httpsUrl}/health`, { dispatcher: stack.agent })
  return (JSON.parse(await response.body.text()) as { color: string }).color
}

test('containers: compose, the image, deploys under load, refusals and rollbacks', { skip: missing ?? false, timeout: 1_500_000 }, async (t) => {
  const stack = await startContainerStack(t)

  await t.test('compose brings up PostgreSQL, blue and nginx; a post through nginx reaches the simulator', async (t) => {
    const response = await request(`${stack.httpsUrl}/v1/contacts`, {
      dispatcher: stack.agent,
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', prefer: 'wait=20' },
      body: JSON.stringify({ email: 'compose-first@example.com', properties: { firstname: 'First' } })
    })
    const body = JSON.parse(await response.body.text()) as { status: string, hubspotId?: string }
    t.equal(response.statusCode, 200, 'synced through HubSpot (the simulator container)', { body })
    t.equal(body.status, 'synced')
    t.ok(body.hubspotId, `HubSpot id ${body.hubspotId}`)
    t.equal(await healthColor(stack), 'blue')
    await waitFor('nginx did not turn healthy', 60_000, () => stack.inspect('nginx', '{{.State.Health.Status}}') === 'healthy')
    t.pass('nginx\'s healthcheck: healthy')
    const rendered = run('docker', ['exec', stack.containerId('nginx'), 'nginx', '-p', '/var/cache/nginx/', '-c', '/etc/nginx/contact-sync/nginx.conf', '-T']).out
    t.match(rendered, /^server_name _;$/m, 'without DOMAIN: the image rendered server_name _')
    t.match(rendered, /^ssl_certificate \.\.\/certs\/\.\/fullchain\.pem;$/m, 'and the certificate in deploy/certs/')
    const metrics = await request(`${stack.httpsUrl}/metrics`, { dispatcher: stack.agent })
    t.equal(metrics.statusCode, 404, 'GET /metrics through nginx: 404')
    await metrics.body.text()
    const status = await request(`${stack.httpsUrl}/status`, { dispatcher: stack.agent })
    t.equal(status.statusCode, 200, 'GET /status through nginx from the host (a private address on the compose network): 200')
    await status.body.text()
  })

  await t.test('the image: size, non-root, read-only, secrets not in inspect, healthy', async (t) => {
    const size = Number(run('docker', ['image', 'inspect', '-f', '{{.Size}}', IMAGE]).out.trim())
    t.comment(`image ${IMAGE}: ${(size / 1e6).toFixed(1)} MB (seed ${SEED_SIZE_BYTES / 1e6} MB)`)
    t.ok(size < 180e6, `under 180 MB: ${(size / 1e6).toFixed(1)} MB`)
    const id = stack.containerId('app_blue')
    t.equal(run('docker', ['exec', id, 'node', '-e', 'process.stdout.write(process.getuid()+":"+process.getgid())']).out, '65532:65532', 'runs as 65532:65532')
    t.equal(stack.inspect('app_blue', '{{.HostConfig.ReadonlyRootfs}}'), 'true', 'read-only root filesystem')
    t.match(run('docker', ['exec', id, 'node', '-e', 'require("fs").writeFileSync("/app/x","")']).out, /EROFS|EACCES/, 'writing to /app fails')
    const config = run('docker', ['inspect', id]).out
    t.notMatch(config, ADMIN_KEY, 'docker inspect does not show the API keys')
    t.notMatch(config, 'sim-token', 'nor the HubSpot token')
    t.match(config, '/run/secrets/api_keys', 'only the secret files\' paths')
    await waitFor('app_blue did not turn healthy', 90_000, () => stack.inspect('app_blue', '{{.State.Health.Status}}') === 'healthy')
    t.pass('HEALTHCHECK: healthy')
    for (const absent of ['node_modules/@electric-sql', 'src/simulator', 'node_modules/tap', 'node_modules/typescript']) {
      t.not(run('docker', ['exec', id, 'node', '-e', `require("fs").accessSync("/app/${absent}")`]).code, 0, `${absent} is not in the image`)
    }
  })

  let blueImage = ''
  await t.test(`deploy.sh: green under ${RATE} req/s of posts and searches through nginx on keep-alive connections`, async (t) => {
    blueImage = stack.inspect('app_blue', '{{.Config.Image}}')
    const blueStarted = stack.inspect('app_blue', '{{.State.StartedAt}}')
    let finish: () => void = () => {}
    const stop = new Promise<void>((resolve) => { finish = resolve })
    const load = runLoad(stack, RATE, stop)
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const result = await stack.script('deploy.sh', ['--image', IMAGE]).done
    await new Promise((resolve) => setTimeout(resolve, 2000))
    finish()
    const loaded = await load
    t.equal(result.code, 0, 'deploy exit 0', { output: result.output })
    t.comment(`deploy took ${(result.ms / 1000).toFixed(1)} s; load: ${loaded.sent} requests (${loaded.posts} posts, ${loaded.searches} searches acknowledged), ${loaded.failures.length} failed`)
    t.same(loaded.failures, [], 'zero failed requests')
    if (loaded.failures.length > 0) {
      t.comment(run('docker', ['logs', stack.containerId('nginx')]).out.split('\n').filter((line) => /"status":50[24]/.test(line)).slice(0, 10).join('\n'))
      t.comment(run('docker', ['logs', '--tail', '30', stack.containerId('app_blue')]).out)
    }
    t.ok(loaded.sent > RATE * 10, `a real load: ${loaded.sent} requests`)
    t.equal(missingIds(stack, loaded.acknowledgedIds), 0, `all ${loaded.acknowledgedIds.length} acknowledged contacts are stored`)
    t.equal(await healthColor(stack), 'green', 'nginx serves green')
    t.equal(stack.inspect('app_blue', '{{.State.Running}}'), 'false', 'blue is stopped')
    t.equal(stack.inspect('app_blue', '{{.State.StartedAt}}'), blueStarted, 'blue was never restarted, only stopped after the switch')
    t.equal(stack.inspect('app_blue', '{{.State.ExitCode}}'), '0', 'blue exited 0 on docker stop')
    const releases = await readFile(join(stack.dir, 'deploy/state/releases'), 'utf8')
    t.match(releases, new RegExp(`blue ${blueImage}\\n.* green ${IMAGE}\\n$`), 'the release history: blue\'s image, then green\'s')
  })

  await t.test('a release that never turns ready is refused; green keeps serving; the previous image stays for rollback', async (t) => {
    const broken = buildTestImage('never-ready')
    const result = await stack.script('deploy.sh', ['--image', broken, '--timeout', '40']).done
    t.equal(result.code, 1, 'deploy exit 1', { output: result.output })
    t.match(result.output, 'blue did not become ready within 40s')
    t.match(result.output, 'green keeps serving; nginx was not switched.')
    t.equal(await healthColor(stack), 'green')
    t.equal(stack.inspect('app_blue', '{{.State.Running}}'), 'false', 'the refused blue is stopped')
    t.equal(run('docker', ['image', 'inspect', blueImage]).code, 0, `the previous release's image ${blueImage} is still there`)
    const releases = (await readFile(join(stack.dir, 'deploy/state/releases'), 'utf8')).trim().split('\n')
    t.match(releases.at(-2), ` blue ${blueImage}`, 'and the history names it as the rollback target')
    t.notMatch(releases.join('\n'), broken, 'the refused image is not a release')
  })

  await t.test('rollback.sh recreates blue on the previous release\'s image (the refused deploy had replaced its container)', async (t) => {
    const result = await stack.script('rollback.sh', ['--drain', '2']).done
    t.equal(result.code, 0, { output: result.output })
    t.match(result.output, `recreating it on ${blueImage}`)
    t.equal(await healthColor(stack), 'blue')
    t.equal(stack.inspect('app_blue', '{{.Config.Image}}'), blueImage)
  })

  await t.test('a release whose error rate after the switch exceeds 0.1 % is rolled back automatically', async (t) => {
    const faulty = buildTestImage('faulty')
    let finish: () => void = () => {}
    const stop = new Promise<void>((resolve) => { finish = resolve })
    const load = runLoad(stack, 50, stop)
    const result = await stack.script('deploy.sh', ['--image', faulty]).done
    finish()
    const loaded = await load
    t.equal(result.code, 1, 'deploy exit 1', { output: result.output })
    t.match(result.output, /green's error rate after the switch is \d+ of \d+ requests, over 0\.001; rolled back automatically/)
    t.match(result.output, 'Traffic is back on blue.')
    t.equal(await healthColor(stack), 'blue', 'blue serves again')
    t.equal(stack.inspect('app_green', '{{.State.Running}}'), 'false', 'the faulty green is stopped')
    t.comment(`load meanwhile: ${loaded.sent} requests, ${loaded.failures.length} got the injected 500s before the rollback`)
  })

  await t.test('docker stop: the serving container exits 0 within 10 s', async (t) => {
    const started = Date.now()
    const stopped = run('docker', ['stop', '-t', '15', stack.containerId('app_blue')])
    const ms = Date.now() - started
    t.equal(stopped.code, 0)
    t.equal(stack.inspect('app_blue', '{{.State.ExitCode}}'), '0', 'exit code 0')
    t.ok(ms < 10_000, `stopped in ${ms} ms`)
  })
})

// Issue 13, criterion 4, for real: deploy/deploy.sh killed with kill -9 as each of its 11 steps
// begins (STEP_HOOK_CMD), then run again (after the last step, rollback.sh instead). The second run
// must find what really serves by asking nginx and the containers, never restart the color that
// serves, and leave the marker, the release history and nginx agreeing; nginx keeps answering a
// keep-alive load throughout. One compose stack for all steps (with DOMAIN set, so that its
// certificate path is exercised too). Needs what containers.test.ts needs.
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'tap'
import { request } from 'undici'
import { IMAGE, missingForContainers, missingIds, run, runLoad, startContainerStack, type ContainerStack } from './helpers/containers.ts'
import type { Color } from './helpers/stack.ts'

const missing = missingForContainers()
if (missing !== undefined && process.env.CI === 'true') {
  test('container kill tests', (t) => { t.fail(`CI=true and the container tests cannot run: ${missing}`); t.end() })
}
const DEPLOY_STEPS = 11
// The step that switches nginx: a run killed as a later step begins has switched
const SWITCH_STEP = 7
const LOAD_RATE = 20

const other = (color: Color): Color => color === 'blue' ? 'green' : 'blue'

async function servingColor (stack: ContainerStack): Promise<Color> {
  const response = await request(`${stack.httpsUrl}/health`, { dispatcher: stack.agent })
  return (JSON.parse(await response.body.text()) as { color: Color }).color
}

/** The color's container: its id and when it last started (a restart changes it), its image, whether it runs. */
function containerOf (stack: ContainerStack, color: Color) {
  const [id, startedAt, image, running] = stack.inspect(`app_${color}`, '{{.Id}} {{.State.StartedAt}} {{.Config.Image}} {{.State.Running}}').split(' ')
  return { id, startedAt, image, running: running === 'true' }
}

async function releases (stack: ContainerStack): Promise<string[]> {
  const file = join(stack.dir, 'deploy/state/releases')
  if (!existsSync(file)) return []
  return (await readFile(file, 'utf8')).trim().split('\n').map((line) => line.split(' ').slice(1).join(' '))
}

test('kill -9 of deploy.sh as each step begins, then a second run: the serving color is never touched', { skip: missing ?? false, timeout: 1_500_000 }, async (t) => {
  const started = Date.now()
  const stack = await startContainerStack(t, { domain: 'localhost' })
  const rendered = run('docker', ['exec', stack.containerId('nginx'), 'nginx', '-p', '/var/cache/nginx/', '-c', '/etc/nginx/contact-sync/nginx.conf', '-T']).out
  t.match(rendered, /^server_name localhost;$/m, 'DOMAIN=localhost: the nginx image rendered server_name localhost')
  t.match(rendered, /^ssl_certificate \.\.\/certs\/localhost\/fullchain\.pem;$/m, 'and the certificate in deploy/certs/localhost/')

  let finish: () => void = () => {}
  const stop = new Promise<void>((resolve) => { finish = resolve })
  const load = runLoad(stack, LOAD_RATE, stop)
  let restartsOfServing = 0

  for (let step = 1; step <= DEPLOY_STEPS; step++) {
    await t.test(`killed as step ${step} begins`, async (t) => {
      const stepStarted = Date.now()
      const before = await servingColor(stack)
      const beforeContainer = containerOf(stack, before)
      // A tag per step: each deploy brings an image of its own, as releases do
      const image = `contact-sync-kill:step-${step}`
      t.equal(run('docker', ['tag', IMAGE, image]).code, 0)

      const killed = await stack.script('deploy.sh', ['--image', image, '--drain', '2'], { STEP_HOOK_CMD: `[ "$1" != ${step} ] || kill -9 "$PPID"` }).done
      t.equal(killed.code, null, 'deploy.sh died by kill -9', { output: killed.output })
      t.match(killed.output, `==> [${step}/${DEPLOY_STEPS}]`)
      t.notMatch(killed.output, `==> [${step + 1}/${DEPLOY_STEPS}]`, `as step ${step} began`)
      t.ok(existsSync(join(stack.dir, 'deploy/state/lock')), 'its lock is left behind')

      // What serves now: the killed run had switched when it was killed after the switch step
      const serving = step > SWITCH_STEP ? other(before) : before
      t.equal(await servingColor(stack), serving, `nginx serves ${serving}`)
      const unchanged = containerOf(stack, before)
      t.equal(unchanged.id, beforeContainer.id, `${before}'s container is the one that served`)
      t.equal(unchanged.startedAt, beforeContainer.startedAt, `${before} was not restarted`)
      const servingContainer = containerOf(stack, serving)
      t.ok(servingContainer.running, `${serving} runs`)

      // The second run: deploy.sh again with the same image; after the last step, a rollback
      const rollback = step === DEPLOY_STEPS
      const second = await stack.script(rollback ? 'rollback.sh' : 'deploy.sh', rollback ? ['--drain', '2'] : ['--image', image, '--drain', '2']).done
      t.equal(second.code, 0, `${rollback ? 'rollback.sh' : 'deploy.sh'} again: exit 0`, { output: second.output })
      t.match(second.output, /a stale lock from pid \d+ \(no such deploy runs\): taken over/, 'it takes the killed run\'s lock over')
      t.match(second.output, rollback ? `rollback: ${serving} is active, switching back to ${before} on ${beforeContainer.image}` : `deploy: ${serving} is active, deploying ${image} to ${other(serving)}`,
        `it finds ${serving} serving`)
      if (step > SWITCH_STEP) {
        t.match(second.output, `the release history ends with ${before} ${beforeContainer.image}, but ${serving} serves ${image}`, 'and records that release, which the killed run had not')
      } else {
        t.notMatch(second.output, 'the release history ends with', 'the history already ended with what serves')
      }
      if (!rollback) t.match(second.output, 'ok    TLS certificate for localhost and key present and matching', 'pre-flight: the certificate for DOMAIN')

      const servingAfter = containerOf(stack, serving)
      t.equal(servingAfter.id, servingContainer.id, `${serving}'s container is the same`)
      t.equal(servingAfter.startedAt, servingContainer.startedAt, `${serving} was never restarted, only stopped once the other color served`)
      if (servingAfter.startedAt !== servingContainer.startedAt || unchanged.startedAt !== beforeContainer.startedAt) restartsOfServing++

      const final = other(serving)
      t.equal(await servingColor(stack), final, `nginx serves ${final}`)
      t.equal(existsSync(join(stack.dir, 'deploy/nginx/active-green')) ? 'green' : 'blue', final, `the marker names ${final}`)
      t.notOk(servingAfter.running, `${serving} is stopped (its container kept)`)
      const finalContainer = containerOf(stack, final)
      t.ok(finalContainer.running, `${final} runs`)
      t.equal(finalContainer.image, rollback ? beforeContainer.image : image, `${final} runs ${finalContainer.image}`)
      t.same((await releases(stack)).slice(-2), [`${serving} ${servingContainer.image}`, `${final} ${finalContainer.image}`],
        'the release history ends with what served when the run was killed, then what serves now')
      t.notOk(existsSync(join(stack.dir, 'deploy/state/lock')), 'the lock is released')
      t.comment(`step ${step}: killed with ${before} serving, ${serving} served after the kill, ${final} serves after the second run (${((Date.now() - stepStarted) / 1000).toFixed(1)} s)`)
    })
  }

  finish()
  const loaded = await load
  t.same(loaded.failures, [], 'no request through nginx failed while deploys were killed and run again')
  t.equal(missingIds(stack, loaded.acknowledgedIds), 0, `all ${loaded.acknowledgedIds.length} acknowledged contacts are stored`)
  t.equal(restartsOfServing, 0, 'the serving color was never restarted')
  t.comment(`kill -9 at ${DEPLOY_STEPS} steps: ${loaded.sent} requests through nginx (${LOAD_RATE}/s, keep-alive), ${loaded.failures.length} failed; ` +
    `${restartsOfServing} restarts of the serving color; ${((Date.now() - started) / 1000).toFixed(0)} s in all`)
})

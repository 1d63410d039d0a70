// The real thing for test/deploy/containers.test.ts: compose.yaml (+ compose.ci.yaml for the
// HubSpot simulator) brought up by docker compose or docker-compose from a copy of the project's
// deploy files in a temp folder, on the image .ci/containers built (CONTACT_SYNC_IMAGE) and the
// stand-in bases (deploy/base-images/build.sh); deploy/*.sh run with their default hooks.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { chmod, chown, cp, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Test } from 'tap'
import { Agent, request } from 'undici'
import { temporaryDirectory } from '../../helpers/database.ts'
import { freePort } from '../../helpers/process.ts'
import { REPO_ROOT, baseEnv, getStatus, writeTestCertificate, type Color, type ScriptResult } from './stack.ts'

export const ADMIN_KEY = 'ci-admin-key-0123456789'
export const READ_KEY = 'ci-read-key-0123456789'
export const INTAKE_KEY = 'ci-intake-key-0123456789'
export const IMAGE = process.env.CONTACT_SYNC_IMAGE ?? ''
const STAND_INS = ['postgres:15-bookworm', 'nginx:1.22-bookworm', 'node:24.21.0-bookworm-slim']

export function run (command: string, args: string[], options: { env?: Record<string, string>, input?: string, timeout?: number } = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: options.timeout ?? 300_000, env: options.env, input: options.input, maxBuffer: 64 << 20 })
  return { code: result.status, out: (result.stdout ?? '') + (result.stderr ?? '') }
}

export const composeCommand: string[] | undefined = run('docker', ['compose', 'version']).code === 0
  ? ['docker', 'compose']
  : run('docker-compose', ['version']).code === 0 ? ['docker-compose'] : undefined

/** Why the container tests cannot run here, or undefined when they can. */
export function missingForContainers (): string | undefined {
  if (run('docker', ['info']).code !== 0) return 'needs a running Docker engine (.ci/containers installs and starts one)'
  if (composeCommand === undefined) return 'needs docker compose or docker-compose'
  if (!IMAGE) return 'needs CONTACT_SYNC_IMAGE, the image to test (.ci/containers builds it and sets it)'
  for (const image of [IMAGE, ...STAND_INS]) {
    if (run('docker', ['image', 'inspect', image]).code !== 0) return `needs the image ${image} (.ci/containers builds it)`
  }
  return undefined
}

export interface ContainerStack {
  dir: string
  project: string
  env: Record<string, string>
  httpsUrl: string
  colorUrl: Record<Color, string>
  agent: Agent
  compose: (...args: string[]) => { code: number | null, out: string }
  containerId: (service: string) => string
  inspect: (service: string, format: string) => string
  psql: (sql: string, input?: string) => string
  /** Runs the stack's copy of deploy/<script> (its PROJECT_DIR is the stack's folder). */
  script: (name: string, args: string[], extraEnv?: Record<string, string>) => ScriptProcess
}

export interface ScriptProcess { pid: number, output: () => string, done: Promise<ScriptResult> }

function runStackScript (dir: string, env: Record<string, string>, name: string, args: string[]): ScriptProcess {
  const started = Date.now()
  const child = spawn('bash', [join(dir, 'deploy', name), ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk) => { output += chunk })
  child.stderr.on('data', (chunk) => { output += chunk })
  const done = new Promise<ScriptResult>((resolve) => child.on('close', (code) => resolve({ code, output, ms: Date.now() - started })))
  return { pid: child.pid!, output: () => output, done }
}

export async function waitFor (what: string, timeoutMs: number, probe: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await Promise.resolve().then(probe).catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}

/**
 * compose.yaml's postgres, the simulator, blue (active) and nginx, up and answering through nginx.
 * `domain`: DOMAIN in .env, and the test certificate in deploy/certs/<domain>/ (nginx's and
 * pre-flight's); without it, deploy/certs/ as without DOMAIN.
 */
export async function startContainerStack (t: Test, options: { domain?: string } = {}): Promise<ContainerStack> {
  const dir = await temporaryDirectory(t, 'contact-sync-containers-')
  await chmod(dir, 0o755)
  for (const file of ['compose.yaml', 'compose.ci.yaml']) await cp(join(REPO_ROOT, file), join(dir, file))
  await mkdir(join(dir, 'deploy'))
  for (const entry of ['deploy.sh', 'rollback.sh', 'lib.sh', 'smoke.sh', 'nginx']) await cp(join(REPO_ROOT, 'deploy', entry), join(dir, 'deploy', entry), { recursive: true })
  await mkdir(join(dir, 'deploy/acme'))
  await writeTestCertificate(join(dir, 'deploy/certs', options.domain ?? ''), 'localhost')

  // Secrets as files, readable by the image's user alone (README, Deployment)
  await mkdir(join(dir, 'secrets'), { mode: 0o700 })
  const secrets = { db_password: randomBytes(18).toString('base64url'), hubspot_access_token: 'sim-token', api_keys: `intake:${INTAKE_KEY},read:${READ_KEY},${ADMIN_KEY}` }
  for (const [name, value] of Object.entries(secrets)) {
    await writeFile(join(dir, 'secrets', name), value, { mode: 0o400 })
    await chown(join(dir, 'secrets', name), 65532, 65532)
  }

  const ports = { https: await freePort(), http: await freePort(), blue: await freePort(), green: await freePort(), simulator: await freePort() }
  const project = `cs-ci-${process.pid}`
  await writeFile(join(dir, '.env'), [
    'NODE_ENV=production',
    'HUBSPOT_BASE_URL=http://hubspot_simulator:4010',
    'HUBSPOT_REQUESTS_PER_10S=5000',
    'SIMULATOR_RATE_MAX=100000',
    'INTAKE_RATE_PER_MINUTE=0',
    'LOG_LEVEL=warn',
    'POSTGRES_IMAGE=postgres:15-bookworm',
    'NGINX_IMAGE=nginx:1.22-bookworm',
    `CONTACT_SYNC_SOURCE=${REPO_ROOT}`,
    'HTTP_BIND=127.0.0.1',
    'HTTPS_BIND=127.0.0.1',
    `HTTP_PORT=${ports.http}`,
    `HTTPS_PORT=${ports.https}`,
    `BLUE_HOST_PORT=${ports.blue}`,
    `GREEN_HOST_PORT=${ports.green}`,
    `SIMULATOR_HOST_PORT=${ports.simulator}`,
    ...(options.domain === undefined ? [] : [`DOMAIN=${options.domain}`]),
    ''
  ].join('\n'))

  const env: Record<string, string> = {
    ...baseEnv(),
    COMPOSE_PROJECT_NAME: project,
    COMPOSE_FILE: `${join(dir, 'compose.yaml')}:${join(dir, 'compose.ci.yaml')}`,
    NGINX_URL: `https://127.0.0.1:${ports.https}`,
    BLUE_URL: `http://127.0.0.1:${ports.blue}`,
    GREEN_URL: `http://127.0.0.1:${ports.green}`,
    DISK_CHECK_PATH: dir,
    MIN_FREE_GB: '1',
    READY_INTERVAL: '1',
    DRAIN_SECONDS: '6'
  }
  const compose = (...args: string[]) => run(composeCommand![0], [...composeCommand!.slice(1), '-p', project, '--project-directory', dir, ...args], { env: { ...env, APP_IMAGE: IMAGE } })
  t.teardown(() => { compose('down', '-v', '--remove-orphans', '-t', '15') })

  // A run killed before its teardown leaves its containers and network (whose subnet this one needs)
  for (const leftover of run('docker', ['ps', '-a', '--format', '{{.Label "com.docker.compose.project"}}']).out.split('\n')) {
    if (/^cs-ci-\d+$/.test(leftover) && leftover !== project) {
      run('docker', ['rm', '-f', '-v', ...run('docker', ['ps', '-aq', '--filter', `label=com.docker.compose.project=${leftover}`]).out.trim().split('\n').filter(Boolean)])
    }
  }
  for (const network of run('docker', ['network', 'ls', '--format', '{{.Name}}']).out.split('\n')) {
    if (/^cs-ci-\d+_default$/.test(network)) run('docker', ['network', 'rm', network])
  }
  const up = compose('up', '-d', 'postgres', 'hubspot_simulator', 'app_blue', 'nginx')
  if (up.code !== 0) throw new Error(`compose up failed: ${up.out}`)

  const containerId = (service: string) => run('docker', ['ps', '-aq', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`, '--filter', `label=com.docker.compose.service=${service}`]).out.trim().split('\n')[0] ?? ''
  const inspect = (service: string, format: string) => run('docker', ['inspect', '-f', format, containerId(service)]).out.trim()
  const psql = (sql: string, input?: string) => {
    const result = run('docker', ['exec', '-i', containerId('postgres'), 'psql', '-v', 'ON_ERROR_STOP=1', '-U', 'contact_sync', '-d', 'contact_sync', '-At', ...(input === undefined ? ['-c', sql] : [])], { input: input === undefined ? undefined : sql + input })
    if (result.code !== 0) throw new Error(`psql: ${result.out}`)
    return result.out.trim()
  }

  const agent = new Agent({ connect: { rejectUnauthorized: false }, keepAliveTimeout: 30_000, connections: 128 })
  t.teardown(() => agent.close())
  const httpsUrl = `https://127.0.0.1:${ports.https}`
  await waitFor(`blue did not answer ready through nginx (${compose('logs', '--tail', '40').out.slice(-3000)})`, 120_000,
    async () => (await getStatus(agent, `${httpsUrl}/health/ready`)).status === 200)
  const script = (name: string, args: string[], extraEnv: Record<string, string> = {}) => runStackScript(dir, { ...env, ...extraEnv }, name, args)
  return { dir, project, env, httpsUrl, colorUrl: { blue: env.BLUE_URL, green: env.GREEN_URL }, agent, compose, containerId, inspect, psql, script }
}

export interface LoadResult { sent: number, ok: number, posts: number, searches: number, failures: string[], acknowledgedIds: string[] }

/**
 * Paced load through nginx on keep-alive connections: request i starts at i / rate seconds;
 * posts with unique emails and searches (read key) for emails acknowledged earlier alternate.
 * Every non-2xx answer and every connection error is a failure. Runs until stop() resolves.
 */
export async function runLoad (stack: ContainerStack, rate: number, until: Promise<unknown>): Promise<LoadResult> {
  const started = Date.now()
  const result: LoadResult = { sent: 0, ok: 0, posts: 0, searches: 0, failures: [], acknowledgedIds: [] }
  const emails: string[] = []
  const tag = `${Date.now()}-${randomUUID().slice(0, 8)}`
  const state = { stopped: false }
  until.finally(() => { state.stopped = true }).catch(() => {})
  let next = 0
  async function worker () {
    while (!state.stopped) {
      const index = next++
      const wait = started + index * 1000 / rate - Date.now()
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
      if (state.stopped) return
      const isPost = index % 2 === 0 || emails.length === 0
      const email = isPost ? `load-${tag}-${index}@example.com` : emails[Math.floor(Math.random() * emails.length)]!
      result.sent++
      try {
        const response = isPost
          ? await request(`${stack.httpsUrl}/v1/contacts`, {
            dispatcher: stack.agent,
            method: 'POST',
            headers: { authorization: `Bearer ${INTAKE_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify({ email, properties: { firstname: `Load ${index}` } }),
            headersTimeout: 30_000,
            bodyTimeout: 30_000
          })
          : await request(`${stack.httpsUrl}/v1/contacts?email=${encodeURIComponent(email)}`, {
            dispatcher: stack.agent, headers: { authorization: `Bearer ${READ_KEY}` }, headersTimeout: 30_000, bodyTimeout: 30_000
          })
        const text = await response.body.text()
        if (response.statusCode >= 200 && response.statusCode < 300) {
          result.ok++
          if (isPost) {
            result.posts++
            result.acknowledgedIds.push((JSON.parse(text) as { id: string }).id)
            emails.push(email)
          } else result.searches++
        } else {
          result.failures.push(`${isPost ? 'POST' : 'search'} at +${Date.now() - started} ms: ${response.statusCode} ${text.slice(0, 200)}`)
        }
      } catch (error) {
        result.failures.push(`${isPost ? 'POST' : 'search'} at +${Date.now() - started} ms: ${(error as Error).message} ${(error as { code?: string }).code ?? ''}`)
      }
    }
  }
  await Promise.all(Array.from({ length: 64 }, worker))
  return result
}

/** How many of the ids are not in contact_requests. */
export function missingIds (stack: ContainerStack, ids: string[]): number {
  return Number(stack.psql('CREATE TEMP TABLE acked (id uuid);\nCOPY acked FROM STDIN;\n', ids.join('\n') + '\n\\.\nSELECT count(*) FROM acked WHERE id NOT IN (SELECT id FROM contact_requests);\n').split('\n').at(-1))
}

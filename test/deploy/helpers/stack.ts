// A blue/green stack without Docker for test/deploy: the repository's nginx configuration run by
// a real nginx on loopback ports, two `node src/server.ts` processes as blue and green on one
// fresh PostgreSQL database, an in-process HubSpot simulator, and deploy/deploy.sh,
// deploy/rollback.sh driving them through their hooks (test/deploy/helpers/color-process.sh).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmod, mkdir, readFile, readdir, writeFile } from 'node:fs/promises'
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Agent, request } from 'undici'
import type { Test } from 'tap'
import type { HubSpotSimulator } from '../../../src/simulator/simulator.ts'
import { freshDatabaseUrl, temporaryDirectory } from '../../helpers/database.ts'
import { SIMULATOR_TOKEN, startTestSimulator } from '../../helpers/hubspot-simulator.ts'
import { freePort } from '../../helpers/process.ts'

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url))
export const DEPLOY_DIR = join(REPO_ROOT, 'deploy')
export const COLOR_PROCESS = join(REPO_ROOT, 'test/deploy/helpers/color-process.sh')
export const API_KEY = 'deploy-test-key-0123456789'

export type Color = 'blue' | 'green'

function onPath (command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0
}

/** Debian puts nginx in /usr/sbin, which a non-root PATH may lack. */
export const NGINX = onPath('nginx') ? 'nginx' : existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined

/** Why a stack cannot be built here, or undefined when it can. */
export function missingForStack (): string | undefined {
  if (!process.env.DATABASE_URL) return 'needs DATABASE_URL: two service processes must share one real PostgreSQL (the embedded PGlite is one process\'s own)'
  if (NGINX === undefined) return 'needs nginx (apt-get install -y nginx-light; .ci/run installs it)'
  for (const tool of ['curl', 'openssl', 'bash']) {
    if (!onPath(tool)) return `needs ${tool} on PATH`
  }
  return undefined
}

/** The child processes this environment gives: node 24 first on PATH, no service settings. */
export function baseEnv (): Record<string, string> {
  const env: Record<string, string> = {}
  for (const name of ['HOME', 'LANG', 'TMPDIR']) if (process.env[name] !== undefined) env[name] = process.env[name]!
  env.PATH = `${dirname(process.execPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`
  return env
}

export interface ScriptResult { code: number | null, output: string, ms: number }

/** Runs a deploy script asynchronously (the event loop keeps serving the load meanwhile). */
export function runScript (script: string, args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<ScriptResult> {
  const started = Date.now()
  return new Promise((resolve) => {
    const child = spawn('bash', [join(DEPLOY_DIR, script), ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs })
    let output = ''
    child.stdout.on('data', (chunk) => { output += chunk })
    child.stderr.on('data', (chunk) => { output += chunk })
    child.on('close', (code) => resolve({ code, output, ms: Date.now() - started }))
  })
}

export interface Stack {
  dir: string
  databaseUrl: string
  simulator: HubSpotSimulator
  ports: Record<Color, number>
  httpsUrl: string
  httpUrl: string
  /** The folder nginx reads upstreams.conf and the green marker from. */
  nginxDir: string
  /** The environment deploy.sh / rollback.sh / color-process.sh run with. */
  env: Record<string, string>
  agent: Agent
  startColor: (color: Color) => Promise<void>
  colorRunning: (color: Color) => boolean
  writeColorEnv: (color: Color, overrides?: Record<string, string>) => Promise<void>
  nginxOutput: () => string
  colorLog: (color: Color) => Promise<string>
}

async function waitFor (what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await probe().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

export async function getStatus (agent: Agent, url: string): Promise<{ status: number, body: string }> {
  const response = await request(url, { dispatcher: agent, headersTimeout: 5000, bodyTimeout: 5000 })
  return { status: response.statusCode, body: await response.body.text() }
}

export interface Edge {
  /** The folder nginx reads nginx.conf, upstreams.conf and the green marker from. */
  nginxDir: string
  nginxArgs: string[]
  httpsUrl: string
  httpUrl: string
  /** Writes upstreams.conf with the switch code itself (render_upstreams, env: UPSTREAM_BLUE...) and starts nginx. */
  start: (t: Test, env: Record<string, string>) => Promise<void>
  /** nginx's error log, then its access log. */
  output: () => string
}

/** A self-signed certificate for `name` (and 127.0.0.1): fullchain.pem and privkey.pem in `folder`. */
export async function writeTestCertificate (folder: string, name: string): Promise<void> {
  await mkdir(folder, { recursive: true })
  const openssl = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', join(folder, 'privkey.pem'), '-out', join(folder, 'fullchain.pem'), '-days', '2',
    '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name},IP:127.0.0.1`
  ], { encoding: 'utf8' })
  if (openssl.status !== 0) throw new Error(`openssl could not make a test certificate: ${openssl.stderr}`)
}

/**
 * deploy/nginx/templates/*.template rendered into `outputDir` as the nginx image's entrypoint does
 * (envsubst of the variables that are set), with what compose.yaml gives the nginx container.
 */
export async function renderNginxTemplates (outputDir: string, domain?: string): Promise<void> {
  const values: Record<string, string> = { NGINX_SERVER_NAME: domain ?? '_', NGINX_CERT_DIR: domain ?? '.' }
  const templates = join(DEPLOY_DIR, 'nginx/templates')
  await mkdir(outputDir, { recursive: true })
  for (const name of (await readdir(templates)).filter((file) => file.endsWith('.template'))) {
    const template = await readFile(join(templates, name), 'utf8')
    await writeFile(join(outputDir, name.replace(/\.template$/, '')), template.replace(/\$\{(\w+)\}/g, (whole, variable: string) => values[variable] ?? whole))
  }
}

/**
 * The repository's nginx configuration in `dir`, as the nginx container sees it: nginx.conf with
 * only its two listen addresses moved to free loopback ports (and `editConfig`, when a test must
 * see more), its templates rendered for `domain` (unset: as without DOMAIN) and a test certificate
 * where that configuration looks for it. Nothing runs until start().
 */
export async function prepareEdge (dir: string, options: { domain?: string, editConfig?: (config: string) => string } = {}): Promise<Edge> {
  const httpsPort = await freePort()
  const httpPort = await freePort()
  await writeTestCertificate(join(dir, 'certs', options.domain ?? ''), options.domain ?? 'localhost')
  await renderNginxTemplates(join(dir, 'conf.d'), options.domain)

  const nginxDir = join(dir, 'nginx')
  await mkdir(nginxDir)
  const original = await readFile(join(DEPLOY_DIR, 'nginx/nginx.conf'), 'utf8')
  const config = original
    .replace(/^(\s*)listen 80 default_server;$/m, `$1listen 127.0.0.1:${httpPort} default_server;`)
    .replace(/^(\s*)listen 443 ssl default_server;$/m, `$1listen 127.0.0.1:${httpsPort} ssl default_server;`)
  if ((config.match(/listen 127\.0\.0\.1:/g) ?? []).length !== 2) throw new Error('deploy/nginx/nginx.conf no longer has "listen 80 default_server;" and "listen 443 ssl default_server;"')
  await writeFile(join(nginxDir, 'nginx.conf'), (options.editConfig ?? ((unchanged) => unchanged))(config))

  const nginxArgs = ['-p', `${dir}/`, '-c', join(nginxDir, 'nginx.conf'), '-e', join(dir, 'nginx-error.log')]
  // The access log goes to /dev/stdout and errors to stderr, as in the container. Node's 'pipe'
  // is a socket, which nginx cannot open as /dev/stdout: a plain file takes both.
  const nginxLog = join(dir, 'nginx-output.log')
  const output = () => [join(dir, 'nginx-error.log'), nginxLog].map((file) => existsSync(file) ? readFileSync(file, 'utf8') : '').join('')

  async function start (t: Test, env: Record<string, string>): Promise<void> {
    const rendered = spawnSync('bash', ['-c', `. '${join(DEPLOY_DIR, 'lib.sh')}' && render_upstreams`], { env: { ...env, NGINX_SEES_DIR: nginxDir }, encoding: 'utf8' })
    if (rendered.status !== 0) throw new Error(`render_upstreams failed: ${rendered.stderr}`)
    await writeFile(join(nginxDir, 'upstreams.conf'), rendered.stdout + '\n')
    const logFd = openSync(nginxLog, 'a')
    const nginx: ChildProcess = spawn(NGINX!, [...nginxArgs, '-g', 'daemon off;'], { cwd: dir, stdio: ['ignore', logFd, logFd] })
    closeSync(logFd)
    const nginxExited = new Promise<void>((resolve) => nginx.on('exit', () => resolve()))
    t.teardown(async () => {
      nginx.kill('SIGQUIT')
      const timer = setTimeout(() => nginx.kill('SIGKILL'), 5000)
      await nginxExited
      clearTimeout(timer)
    })
  }

  return { nginxDir, nginxArgs, httpsUrl: `https://127.0.0.1:${httpsPort}`, httpUrl: `http://127.0.0.1:${httpPort}`, start, output }
}

/**
 * Builds the stack with blue running and active. Everything is torn down with the test:
 * the colors get SIGTERM by pid, nginx SIGQUIT, the database is dropped.
 */
export async function startStack (t: Test): Promise<Stack> {
  const dir = await temporaryDirectory(t, 'contact-sync-deploy-')
  // nginx's workers run as nobody when the tests run as root: they must reach the temp paths
  await chmod(dir, 0o755)
  const databaseUrl = await freshDatabaseUrl(t)
  const simulator = await startTestSimulator(t)

  const ports = { blue: await freePort(), green: await freePort() }
  const edge = await prepareEdge(dir)
  const { nginxDir } = edge

  const colorDir = join(dir, 'colors')
  await mkdir(colorDir)
  const envFile = join(dir, '.env')
  // What compose's env_file gives both colors
  await writeFile(envFile, [
    'NODE_ENV=production',
    `HUBSPOT_ACCESS_TOKEN=${SIMULATOR_TOKEN}`,
    `HUBSPOT_BASE_URL=${simulator.url}`,
    `API_KEYS=intake:form-key-0123456789,${API_KEY},read:second-key-0123456789`,
    'LOG_LEVEL=warn',
    'POSTGRES_PASSWORD=not-used-by-this-test',
    ''
  ].join('\n'))

  const quoted = edge.nginxArgs.map((arg) => `'${arg}'`).join(' ')
  const env: Record<string, string> = {
    ...baseEnv(),
    ENV_FILE: envFile,
    NGINX_DIR: nginxDir,
    NGINX_SEES_DIR: nginxDir,
    STATE_DIR: join(dir, 'state'),
    SECRETS_DIR: join(dir, 'secrets'),
    TLS_CERT: join(dir, 'certs/fullchain.pem'),
    TLS_KEY: join(dir, 'certs/privkey.pem'),
    UPSTREAM_BLUE: `127.0.0.1:${ports.blue}`,
    UPSTREAM_GREEN: `127.0.0.1:${ports.green}`,
    BLUE_URL: `http://127.0.0.1:${ports.blue}`,
    GREEN_URL: `http://127.0.0.1:${ports.green}`,
    NGINX_URL: edge.httpsUrl,
    DISK_CHECK_PATH: dir,
    COLOR_PROCESS_DIR: colorDir,
    COLOR_ENV_DIR: colorDir,
    APP_BUILD_CMD: 'true',
    APP_IMAGE: 'process',
    APP_IMAGE_OF_CMD: 'echo process',
    APP_MIGRATE_CMD: `'${COLOR_PROCESS}' migrate "$1"`,
    APP_START_CMD: `'${COLOR_PROCESS}' start "$1"`,
    APP_RESUME_CMD: `'${COLOR_PROCESS}' start "$1"`,
    APP_STOP_CMD: `'${COLOR_PROCESS}' stop "$1"`,
    APP_RUNNING_CMD: `'${COLOR_PROCESS}' running "$1"`,
    NGINX_TEST_CMD: `${NGINX} ${quoted} -t -q`,
    NGINX_RELOAD_CMD: `${NGINX} ${quoted} -s reload`,
    NGINX_LOG_CMD: `cat '${join(dir, 'nginx-output.log')}'`
  }

  async function writeColorEnv (color: Color, overrides: Record<string, string> = {}): Promise<void> {
    // What compose's `environment:` sets per color
    const values = { HOST: '127.0.0.1', PORT: String(ports[color]), DEPLOY_COLOR: color, DATABASE_URL: databaseUrl, ...overrides }
    await writeFile(join(colorDir, `${color}.env`), Object.entries(values).map(([key, value]) => `${key}='${value}'`).join('\n') + '\n')
  }
  await writeColorEnv('blue')
  await writeColorEnv('green')

  function colorRunning (color: Color): boolean {
    return spawnSync('bash', [COLOR_PROCESS, 'running', color], { env }).status === 0
  }
  t.teardown(async () => {
    for (const color of ['blue', 'green'] as const) {
      spawnSync('bash', [COLOR_PROCESS, 'stop', color], { env, timeout: 20_000 })
    }
  })

  const agent = new Agent({ connect: { rejectUnauthorized: false }, keepAliveTimeout: 10_000 })
  t.teardown(() => agent.close())

  async function startColor (color: Color): Promise<void> {
    const started = spawnSync('bash', [COLOR_PROCESS, 'start', color], { env, encoding: 'utf8' })
    if (started.status !== 0) throw new Error(`could not start ${color}: ${started.stderr}`)
    await waitFor(`${color} did not become ready`, 30_000, async () => (await getStatus(agent, `http://127.0.0.1:${ports[color]}/health/ready`)).status === 200)
  }

  // Blue runs and is active (no green marker); the upstreams are rendered by the switch code itself
  await startColor('blue')
  await edge.start(t, env)
  const httpsUrl = edge.httpsUrl
  await waitFor(`nginx did not answer (output: ${edge.output().slice(-2000)})`, 10_000, async () => (await getStatus(agent, `${httpsUrl}/health/ready`)).status === 200)

  return {
    dir,
    databaseUrl,
    simulator,
    ports,
    httpsUrl,
    httpUrl: edge.httpUrl,
    nginxDir,
    env,
    agent,
    startColor,
    colorRunning,
    writeColorEnv,
    nginxOutput: edge.output,
    colorLog: async (color) => existsSync(join(colorDir, `${color}.log`)) ? readFile(join(colorDir, `${color}.log`), 'utf8') : ''
  }
}

/** The color the green marker names (deploy/nginx/nginx.conf: green while it exists). */
export function activeColorInMarker (nginxDir: string): Color {
  return existsSync(join(nginxDir, 'active-green')) ? 'green' : 'blue'
}

// npm run bench [-- --quick]: the service against a bare Fastify app and against HubSpot's
// rate ceiling, side by side in one run; prints a table and (full run) writes BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { cpus, loadavg, totalmem } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import autocannon, { type Options, type Result } from 'autocannon'
import postgres from 'postgres'
import { request } from 'undici'
import { startHubSpotSimulator } from '../src/simulator/simulator.ts'

const QUICK = process.argv.includes('--quick')
const ROOT = fileURLToPath(new URL('..', import.meta.url))
// The service runs exactly as `npm start` runs it ("VAR=value … node flags… src/server.ts"):
// its environment settings and V8 flags included
const START_WORDS = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/)
const NODE_AT = START_WORDS.indexOf('node')
const SERVICE_START_ENV = Object.fromEntries(START_WORDS.slice(0, NODE_AT).map((word) => word.split('=', 2)))
const SERVICE_NODE_ARGS = START_WORDS.slice(NODE_AT + 1)
const BENCHMARKS_FILE = `${ROOT}BENCHMARKS.md`
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TOKEN = 'pat-bench-token'
// Posts with a form's intake key, searches with a support tool's read key: scopes and the
// per-address rate limit are on the measured path, the limit set high enough never to refuse
const INTAKE_KEY = 'bench-intake-key-0123456789'
const READ_KEY = 'bench-read-key-0123456789'
const INTAKE_RATE_PER_MINUTE = 1_000_000_000

// The sync figure counts whole calls in a window; the budget releases slots in bursts 10 s after
// each answer, so a short window is off by a few calls (±5 % at 20 s, ±1 % at 60 s)
const PLAN = QUICK
  ? { rounds: 1, loadSeconds: 4, lowLoadSeconds: 5, syncWindowSeconds: 20 }
  : { rounds: 2, loadSeconds: 12, lowLoadSeconds: 30, syncWindowSeconds: 60 }
// The same load settings for the service and the bare app
const CONNECTIONS = 50
// Context for the intake ratio (full run only): the group commit gathers more per statement when more wait
const WIDE_CONNECTIONS = 200
// HubSpot answers batch upserts in 100–300 ms; the simulator answers each call after this
const SIMULATOR_LATENCY_MS = 200
const BUDGET_PER_10S = 100
const BATCH_SIZE = 100
const CEILING_PER_SECOND = BUDGET_PER_10S * BATCH_SIZE / 10
const LOW_LOAD_INTERVAL_MS = 100

const TARGETS = { intakeRatio: 0.5, searchRatio: 0.5, syncRatio: 0.95, deliveryP99Ms: 1000, peakRssMb: 200 }

function progress (message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** The machine's variables only: the service reads its settings from what the bench gives it. */
function baseEnv (): Record<string, string> {
  return Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'LANG'].filter((name) => process.env[name] !== undefined).map((name) => [name, process.env[name]!]))
}

async function waitForReady (url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited during its start:\n${output()}`)
    try {
      const response = await request(url)
      await response.body.dump()
      if (response.statusCode === 200) return
    } catch { /* not listening yet */ }
    await sleep(100)
  }
  throw new Error(`the service was not ready within 30 s:\n${output()}`)
}

async function stopProcess (child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 12_000)
  await exited
  clearTimeout(timer)
}

function procStatusKb (pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) : 0
}

// /proc/<pid>/stat counts CPU time in clock ticks of 10 ms (USER_HZ 100 on Linux)
const TICK_US = 10_000

function cpuTicks (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch {
    return 0 // the process ended between listing and reading
  }
}

function postgresPids (): number[] {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map(Number).filter((pid) => {
    try { return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('postgres') } catch { return false }
  })
}

/** CPU spent by the app under load, by the PostgreSQL server, and by the bench process (autocannon and the simulator). */
interface CpuUse { appUs: number, postgresUs: number, benchUs: number }

async function measuringCpu<T> (appPid: number, load: () => Promise<T>): Promise<{ value: T, cpu: CpuUse }> {
  const postgresTicks = () => postgresPids().reduce((total, pid) => total + cpuTicks(pid), 0)
  const before = { app: cpuTicks(appPid), postgres: postgresTicks(), bench: process.cpuUsage() }
  const value = await load()
  const bench = process.cpuUsage(before.bench)
  return {
    value,
    cpu: { appUs: (cpuTicks(appPid) - before.app) * TICK_US, postgresUs: (postgresTicks() - before.postgres) * TICK_US, benchUs: bench.user + bench.system }
  }
}

const perRequest = (cpu: CpuUse, requests: number): CpuUse => ({ appUs: cpu.appUs / requests, postgresUs: cpu.postgresUs / requests, benchUs: cpu.benchUs / requests })
const addCpu = (a: CpuUse, b: CpuUse): CpuUse => ({ appUs: a.appUs + b.appUs, postgresUs: a.postgresUs + b.postgresUs, benchUs: a.benchUs + b.benchUs })
const NO_CPU: CpuUse = { appUs: 0, postgresUs: 0, benchUs: 0 }

function percentile (values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil(p / 100 * sorted.length) - 1)]
}

interface Load { result: Result, acceptedEmails: string[] }

/** POST /v1/contacts with a new email per request; collects the emails that got a 2xx. */
async function postLoad (url: string, prefix: string, options: Partial<Options>): Promise<Load> {
  let next = 0
  const acceptedEmails: string[] = []
  const result = await autocannon({
    url: `${url}/v1/contacts`,
    connections: CONNECTIONS,
    duration: PLAN.loadSeconds,
    ...options,
    requests: [{
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${INTAKE_KEY}` },
      setupRequest: (request) => ({ ...request, body: JSON.stringify({ email: `${prefix}${next++}@bench.example.com`, properties: { firstname: 'Ada', company: 'Analytical Engines' } }) }),
      onResponse: (status, body) => {
        if (status >= 200 && status < 300) acceptedEmails.push(/"email":"([^"]+)"/.exec(body)?.[1] ?? '')
      }
    }]
  })
  return { result, acceptedEmails }
}

async function searchLoad (url: string, emails: string[]): Promise<Result> {
  let next = 0
  return autocannon({
    url: `${url}/v1/contacts`,
    connections: CONNECTIONS,
    duration: PLAN.loadSeconds,
    requests: [{ method: 'GET', headers: { authorization: `Bearer ${READ_KEY}` }, setupRequest: (request) => ({ ...request, path: `/v1/contacts?email=${encodeURIComponent(emails[next++ % emails.length])}` }) }]
  })
}

const perSecond = (result: Result) => result['2xx'] / result.duration

async function main () {
  const startedAt = new Date()
  const loadBefore = loadavg()
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  const dbName = `contact_sync_bench_${randomBytes(4).toString('hex')}`
  await admin.unsafe(`CREATE DATABASE ${dbName}`)
  const dbUrl = new URL(ADMIN_URL)
  dbUrl.pathname = `/${dbName}`
  const db = postgres(dbUrl.toString(), { max: 2, onnotice: () => {} })
  const cleanups: Array<() => Promise<unknown>> = [
    async () => { await admin.unsafe(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`); await admin.end() },
    () => db.end()
  ]
  try {
    const simulator = await startHubSpotSimulator({ accessToken: TOKEN, rateLimit: { max: BUDGET_PER_10S, intervalMs: 10_000 } })
    cleanups.unshift(() => simulator.close())
    simulator.setFaults({ latencyMs: SIMULATOR_LATENCY_MS })

    const bare = spawn(process.execPath, [fileURLToPath(new URL('bare-app.ts', import.meta.url))], { env: baseEnv(), stdio: ['ignore', 'pipe', 'inherit'] })
    cleanups.unshift(() => stopProcess(bare))
    const barePort = await new Promise<number>((resolve, reject) => {
      bare.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { port: number }).port))
      bare.once('exit', () => reject(new Error('the bare app exited')))
    })
    const bareUrl = `http://127.0.0.1:${barePort}`

    const servicePort = await freePort()
    const service = spawn(process.execPath, SERVICE_NODE_ARGS, {
      cwd: ROOT,
      env: {
        ...baseEnv(),
        ...SERVICE_START_ENV,
        HOST: '127.0.0.1',
        PORT: String(servicePort),
        DATABASE_URL: dbUrl.toString(),
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
        HUBSPOT_BASE_URL: simulator.url,
        HUBSPOT_ACCESS_TOKEN: TOKEN,
        HUBSPOT_REQUESTS_PER_10S: String(BUDGET_PER_10S),
        API_KEYS: `intake:${INTAKE_KEY},read:${READ_KEY}`,
        INTAKE_RATE_PER_MINUTE: String(INTAKE_RATE_PER_MINUTE)
      },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    cleanups.unshift(() => stopProcess(service))
    let serviceOutput = ''
    service.stdout!.on('data', (chunk) => { serviceOutput += chunk })
    service.stderr!.on('data', (chunk) => { serviceOutput += chunk })
    const serviceUrl = `http://127.0.0.1:${servicePort}`
    await waitForReady(`${serviceUrl}/health/ready`, service, () => serviceOutput)
    progress(`service pid ${service.pid} on ${serviceUrl}, bare app on ${bareUrl}, simulator on ${simulator.url} (${SIMULATOR_LATENCY_MS} ms latency)`)

    // 1. Low load, empty queue: one contact every 100 ms; when is each in the simulator?
    progress(`low load: 1 contact per ${LOW_LOAD_INTERVAL_MS} ms for ${PLAN.lowLoadSeconds} s`)
    const acceptedAt = new Map<string, number>()
    const deliveryMs: number[] = []
    const lowLoadEmails: string[] = []
    const watch = setInterval(() => {
      for (const [email, at] of acceptedAt) {
        const contact = simulator.findContactByEmail(email)
        if (contact === undefined) continue
        deliveryMs.push(Date.parse(contact.createdAt) - at)
        acceptedAt.delete(email)
      }
    }, 5)
    const posts: Array<Promise<void>> = []
    const lowLoadStart = performance.now()
    for (let i = 0; i < PLAN.lowLoadSeconds * 1000 / LOW_LOAD_INTERVAL_MS; i++) {
      await sleep(Math.max(0, lowLoadStart + i * LOW_LOAD_INTERVAL_MS - performance.now()))
      const email = `low-${i}@bench.example.com`
      posts.push(request(`${serviceUrl}/v1/contacts`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INTAKE_KEY}` }, body: JSON.stringify({ email, properties: { firstname: 'Ada' } }) })
        .then(async (response) => {
          await response.body.dump()
          if (response.statusCode !== 202) throw new Error(`low-load POST answered ${response.statusCode}`)
          acceptedAt.set(email, Date.now())
          lowLoadEmails.push(email)
        }))
    }
    await Promise.all(posts)
    const deliveryDeadline = Date.now() + 15_000
    while (acceptedAt.size > 0 && Date.now() < deliveryDeadline) await sleep(20)
    clearInterval(watch)
    const undelivered = acceptedAt.size

    // 2. Cached search: the low-load contacts are synced, so the mirror answers for them
    const [{ mirrored }] = await db<{ mirrored: number }[]>`SELECT count(*)::int AS mirrored FROM contacts WHERE email = ANY(${lowLoadEmails}) AND hubspot_id IS NOT NULL`
    if (mirrored !== lowLoadEmails.length) throw new Error(`only ${mirrored} of ${lowLoadEmails.length} contacts are in the mirror`)
    const readsBefore = simulator.stats().requests
    const search = { bare: [] as Result[], service: [] as Result[] }
    for (let round = 1; round <= PLAN.rounds; round++) {
      progress(`search round ${round}: bare, then service, ${PLAN.loadSeconds} s each`)
      search.bare.push(await searchLoad(bareUrl, lowLoadEmails))
      search.service.push(await searchLoad(serviceUrl, lowLoadEmails))
    }
    const searchHubSpotCalls = simulator.stats().requests - readsBefore

    // 3. Intake at full speed, side by side; every 2xx must be a stored row
    const intake = { bare: [] as Result[], service: [] as Result[], accepted: 0, stored: 0, failures: 0, bareCpu: NO_CPU, serviceCpu: NO_CPU }
    let rssPeakSampledKb = 0
    const rssSampler = setInterval(() => { rssPeakSampledKb = Math.max(rssPeakSampledKb, procStatusKb(service.pid!, 'VmRSS')) }, 100)
    const countStored = async (load: Load) => {
      intake.failures += load.result.non2xx + load.result.errors
      const [{ stored }] = await db<{ stored: number }[]>`SELECT count(DISTINCT email)::int AS stored FROM contact_requests WHERE email = ANY(${load.acceptedEmails})`
      intake.accepted += load.acceptedEmails.length
      intake.stored += stored
    }
    for (let round = 1; round <= PLAN.rounds; round++) {
      progress(`intake round ${round}: bare, then service, ${PLAN.loadSeconds} s each`)
      const bareRun = await measuringCpu(bare.pid!, () => postLoad(bareUrl, `bare${round}-`, {}))
      intake.bare.push(bareRun.value.result)
      intake.bareCpu = addCpu(intake.bareCpu, bareRun.cpu)
      const serviceRun = await measuringCpu(service.pid!, () => postLoad(serviceUrl, `intake${round}-`, {}))
      intake.service.push(serviceRun.value.result)
      intake.serviceCpu = addCpu(intake.serviceCpu, serviceRun.cpu)
      await countStored(serviceRun.value)
    }
    const sum = (results: Result[], key: '2xx' | 'duration' | 'non2xx' | 'errors') => results.reduce((total, r) => total + r[key], 0)
    const intakeBareRps = sum(intake.bare, '2xx') / sum(intake.bare, 'duration')
    const intakeServiceRps = sum(intake.service, '2xx') / sum(intake.service, 'duration')
    let wide: { bareRps: number, serviceRps: number } | undefined
    if (!QUICK) {
      progress(`intake at ${WIDE_CONNECTIONS} connections: bare, then service, ${PLAN.loadSeconds} s each`)
      const bareWide = await postLoad(bareUrl, 'bare-wide-', { connections: WIDE_CONNECTIONS })
      const serviceWide = await postLoad(serviceUrl, 'wide-', { connections: WIDE_CONNECTIONS })
      await countStored(serviceWide)
      wide = { bareRps: perSecond(bareWide.result), serviceRps: perSecond(serviceWide.result) }
    }
    const halfRate = Math.max(1, Math.floor(intakeServiceRps / 2))
    progress(`intake latency at ${halfRate} req/s (half the service's maximum) for ${PLAN.loadSeconds} s`)
    const half = (await postLoad(serviceUrl, 'half-', { overallRate: halfRate })).result
    clearInterval(rssSampler)
    const peakRssMb = procStatusKb(service.pid!, 'VmHWM') / 1024

    // 4. Sync throughput on the backlog intake left: a window of whole budget periods, the queue never empty
    const needed = Math.ceil(CEILING_PER_SECOND * PLAN.syncWindowSeconds * 1.2)
    const [{ backlog }] = await db<{ backlog: number }[]>`SELECT count(*)::int AS backlog FROM sync_queue`
    if (backlog < needed) {
      progress(`topping the queue up by ${needed - backlog} contacts`)
      // autocannon refuses an amount below its connection count
      await postLoad(serviceUrl, 'top-', { amount: Math.max(CONNECTIONS, needed - backlog) })
    }
    progress(`sync window: ${PLAN.syncWindowSeconds} s`)
    const upserts = () => simulator.stats().requestsByRoute['POST /crm/v3/objects/contacts/batch/upsert'] ?? 0
    const contactsBefore = simulator.contacts().length
    const upsertsBefore = upserts()
    const windowStart = performance.now()
    await sleep(PLAN.syncWindowSeconds * 1000)
    const windowSeconds = (performance.now() - windowStart) / 1000
    const syncedContacts = simulator.contacts().length - contactsBefore
    const syncCalls = upserts() - upsertsBefore
    const [{ left }] = await db<{ left: number }[]>`SELECT count(*)::int AS left FROM sync_queue`
    if (left < BATCH_SIZE) throw new Error(`the queue ran dry during the sync window (${left} left): the figure would understate the sync`)
    const syncPerSecond = syncedContacts / windowSeconds

    const figures: Figures = {
      startedAt,
      loadBefore,
      loadAfter: loadavg(),
      intake: {
        bareRps: intakeBareRps,
        serviceRps: intakeServiceRps,
        ratio: intakeServiceRps / intakeBareRps,
        accepted: intake.accepted,
        stored: intake.stored,
        failures: intake.failures,
        wide,
        cpuPerRequest: {
          service: perRequest(intake.serviceCpu, sum(intake.service, '2xx')),
          bare: perRequest(intake.bareCpu, sum(intake.bare, '2xx'))
        },
        halfRate,
        halfP50: half.latency.p50,
        halfP99: half.latency.p99,
        halfAchieved: perSecond(half)
      },
      search: {
        bareRps: sum(search.bare, '2xx') / sum(search.bare, 'duration'),
        serviceRps: sum(search.service, '2xx') / sum(search.service, 'duration'),
        failures: sum(search.service, 'non2xx') + sum(search.service, 'errors'),
        hubspotCalls: searchHubSpotCalls
      },
      sync: {
        perSecond: syncPerSecond,
        calls: syncCalls,
        windowSeconds,
        rateLimited: simulator.stats().rateLimited,
        deliveryP50: percentile(deliveryMs, 50),
        deliveryP99: percentile(deliveryMs, 99),
        deliverySamples: deliveryMs.length,
        undelivered
      },
      peakRssMb,
      rssPeakSampledMb: rssPeakSampledKb / 1024
    }
    report(figures)
  } finally {
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => progress(`cleanup: ${String(error)}`))
  }
}

interface Figures {
  startedAt: Date
  loadBefore: number[]
  loadAfter: number[]
  intake: {
    bareRps: number,
    serviceRps: number,
    ratio: number,
    accepted: number,
    stored: number,
    failures: number
    halfRate: number,
    halfP50: number,
    halfP99: number,
    halfAchieved: number
    wide: { bareRps: number, serviceRps: number } | undefined
    cpuPerRequest: { service: CpuUse, bare: CpuUse }
  }
  search: { bareRps: number, serviceRps: number, failures: number, hubspotCalls: number }
  sync: { perSecond: number, calls: number, windowSeconds: number, rateLimited: number, deliveryP50: number, deliveryP99: number, deliverySamples: number, undelivered: number }
  peakRssMb: number
  rssPeakSampledMb: number
}

const fixed = (value: number, digits = 0) => value.toFixed(digits)
/** How far a figure is from its target: positive is the margin, negative the shortfall. */
const atLeast = (value: number, target: number) => `${value >= target ? 'met' : 'MISSED'}, ${value >= target ? '+' : ''}${fixed((value / target - 1) * 100)} %`
const below = (value: number, limit: number) => `${value < limit ? 'met' : 'MISSED'}, ${fixed(Math.abs(1 - value / limit) * 100)} % ${value < limit ? 'headroom' : 'over'}`

function report (f: Figures): void {
  const syncRatio = f.sync.perSecond / CEILING_PER_SECOND
  const searchRatio = f.search.serviceRps / f.search.bareRps
  const durable = f.intake.stored === f.intake.accepted
  const rows: Array<[string, string, string, string]> = [
    ['Intake: service / bare POST /v1/contacts', `${fixed(f.intake.ratio, 2)} (${fixed(f.intake.serviceRps)} / ${fixed(f.intake.bareRps)} req/s)`, `≥ ${TARGETS.intakeRatio}`, atLeast(f.intake.ratio, TARGETS.intakeRatio)],
    ['Intake: 2xx stored in contact_requests', `${f.intake.stored} of ${f.intake.accepted} (${f.intake.failures} non-2xx or errors)`, 'all', durable ? 'met' : `MISSED, ${f.intake.accepted - f.intake.stored} lost`],
    ['Intake: CPU per request, service / bare', `service ${fixed(f.intake.cpuPerRequest.service.appUs)} µs + PostgreSQL ${fixed(f.intake.cpuPerRequest.service.postgresUs)} µs + bench process ${fixed(f.intake.cpuPerRequest.service.benchUs)} µs; bare app ${fixed(f.intake.cpuPerRequest.bare.appUs)} µs + bench process ${fixed(f.intake.cpuPerRequest.bare.benchUs)} µs`, '—', '—'],
    ...(f.intake.wide === undefined
      ? []
      : [[`Intake at ${WIDE_CONNECTIONS} connections (context)`, `${fixed(f.intake.wide.serviceRps / f.intake.wide.bareRps, 2)} (${fixed(f.intake.wide.serviceRps)} / ${fixed(f.intake.wide.bareRps)} req/s)`, '—', '—'] as [string, string, string, string]]),
    ['Intake latency at half the maximum rate', `p50 ${fixed(f.intake.halfP50)} ms, p99 ${fixed(f.intake.halfP99)} ms at ${f.intake.halfRate} req/s (${fixed(f.intake.halfAchieved)} achieved)`, '—', '—'],
    ['Search: service / bare GET /v1/contacts?email= (cached)', `${fixed(searchRatio, 2)} (${fixed(f.search.serviceRps)} / ${fixed(f.search.bareRps)} req/s; ${f.search.failures} non-2xx, ${f.search.hubspotCalls} HubSpot calls)`, `≥ ${TARGETS.searchRatio}`, atLeast(searchRatio, TARGETS.searchRatio)],
    ['Sync: contacts/s / ceiling (100 req/10 s × 100)', `${fixed(syncRatio, 3)} (${fixed(f.sync.perSecond)} / ${CEILING_PER_SECOND} contacts/s; ${f.sync.calls} calls in ${fixed(f.sync.windowSeconds, 1)} s)`, `≥ ${TARGETS.syncRatio}`, atLeast(syncRatio, TARGETS.syncRatio)],
    ['Sync: 429s from HubSpot (whole run)', String(f.sync.rateLimited), '0', f.sync.rateLimited === 0 ? 'met' : 'MISSED'],
    ['202 → in HubSpot at low load (10/s)', `p50 ${fixed(f.sync.deliveryP50)} ms, p99 ${fixed(f.sync.deliveryP99)} ms (${f.sync.deliverySamples} contacts${f.sync.undelivered > 0 ? `, ${f.sync.undelivered} NOT DELIVERED` : ''})`, `p99 < ${TARGETS.deliveryP99Ms} ms`, f.sync.undelivered > 0 ? 'MISSED' : below(f.sync.deliveryP99, TARGETS.deliveryP99Ms)],
    ['Peak RSS of the service (VmHWM, after the intake load)', `${fixed(f.peakRssMb, 1)} MB (sampled VmRSS peak ${fixed(f.rssPeakSampledMb, 1)} MB)`, `< ${TARGETS.peakRssMb} MB`, below(f.peakRssMb, TARGETS.peakRssMb)]
  ]
  const table = [
    '| figure | measured | target | against the target |',
    '|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`)
  ].join('\n')
  const command = QUICK ? 'npm run bench -- --quick' : 'npm run bench'
  const [cpu] = cpus()
  const section = [
    '<!-- bench:start (written by npm run bench; edit outside these markers) -->',
    `Run: \`${command}\` (\`DATABASE_URL\` names the PostgreSQL server; default \`${ADMIN_URL}\`), ${f.startedAt.toISOString()}.`,
    '',
    `- Machine: ${cpu.model}, ${cpus().length} cores, ${fixed(totalmem() / 2 ** 30, 1)} GiB memory; Node ${process.version}; PostgreSQL on the same machine.`,
    `- Load average (1/5/15 min) before: ${f.loadBefore.map((l) => fixed(l, 2)).join(' / ')}, after: ${f.loadAfter.map((l) => fixed(l, 2)).join(' / ')}.`,
    `- Load: autocannon in the bench process, ${CONNECTIONS} connections, ${PLAN.loadSeconds} s per run, ${PLAN.rounds} round(s) of bare then service${QUICK ? '' : `, then one of each at ${WIDE_CONNECTIONS} connections`}; one new email per POST. CPU per request: \`/proc/<pid>/stat\` of each app and of every PostgreSQL process over the 50-connection runs, and the bench process's own.`,
    `- Service: \`npm start\`'s command (\`${START_WORDS.join(' ')}\`) as a child process, LOG_LEVEL=${process.env.BENCH_LOG_LEVEL ?? 'warn'}, a fresh database, HUBSPOT_REQUESTS_PER_10S=${BUDGET_PER_10S}; simulator in the bench process, ${BUDGET_PER_10S} requests per 10 s, ${SIMULATOR_LATENCY_MS} ms latency on every call.`,
    `- Sync window: ${PLAN.syncWindowSeconds} s on the backlog intake left; low load: one POST every ${LOW_LOAD_INTERVAL_MS} ms for ${PLAN.lowLoadSeconds} s on an empty queue.`,
    '',
    table,
    '<!-- bench:end -->'
  ].join('\n')
  process.stdout.write(`\n${table}\n\n`)
  if (QUICK) {
    process.stdout.write('Quick run: BENCHMARKS.md keeps the figures of the last full run.\n')
    return
  }
  const current = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, 'utf8') : '# Benchmarks\n\n<!-- bench:start --><!-- bench:end -->\n'
  writeFileSync(BENCHMARKS_FILE, current.replace(/<!-- bench:start[\s\S]*<!-- bench:end -->/, section))
  process.stdout.write(`Figures written to ${BENCHMARKS_FILE}\n`)
}

await main()

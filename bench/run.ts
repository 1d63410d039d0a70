// npm run bench [-- --quick]: the service against a bare Fastify app, against what users would
// run instead (one INSERT per request, pg-boss, BullMQ) and against HubSpot's rate ceiling, side by
// side in one run; prints a table and (full run) writes BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
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
// BullMQ's Redis; without one answering there, BullMQ is reported as skipped
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379'
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

const TARGETS = { overBullmq: 1, overNaive: 1.5, cpuOverBullmq: 1, searchRatio: 0.5, syncRatio: 0.97, deliveryP99Ms: 1000, peakRssMb: 200 }

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

/** Starts one of bench/peers/ as its own process; it prints its port on stdout once it listens. */
async function startPeer (file: string, env: Record<string, string>): Promise<{ child: ChildProcess, url: string }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL(`peers/${file}`, import.meta.url))], { env: { ...baseEnv(), ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve((JSON.parse(chunk.toString()) as { port: number }).port))
    child.once('exit', (code) => reject(new Error(`bench/peers/${file} exited (${code}) before it listened`)))
  })
  return { child, url: `http://127.0.0.1:${port}` }
}

/** Whether a Redis server answers PING at the URL. */
async function redisAnswers (url: string): Promise<boolean> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port || 6379), timeout: 1000 })
    const done = (answers: boolean) => { socket.destroy(); resolve(answers) }
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (chunk) => done(chunk.toString().startsWith('+PONG')))
    socket.once('timeout', () => done(false))
    socket.once('error', () => done(false))
  })
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

function processes (): Array<{ pid: number, comm: string, cmdline: string }> {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).flatMap((entry) => {
    try {
      return [{ pid: Number(entry), comm: readFileSync(`/proc/${entry}/comm`, 'utf8').trim(), cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ') }]
    } catch {
      return [] // ended meanwhile
    }
  })
}

// A client backend's title: "postgres: 15/main: <user> <database> <client address>(<port>) <state>"
const CLIENT_BACKEND = /^postgres: \S+: \S+ (\S+) (\[local\]|\S+\(\d+\))/

/**
 * The server-side processes of a target: PostgreSQL's own (WAL writer, checkpointer, …) and the
 * backends connected to the target's database, not those of other databases (other engineers'
 * tests share the server); or every Redis server process.
 */
function backendPids (backend: Backend): number[] {
  if (backend.kind === 'none') return []
  return processes().filter(({ comm, cmdline }) => {
    if (backend.kind === 'redis') return comm === 'redis-server'
    if (!comm.startsWith('postgres')) return false
    const client = CLIENT_BACKEND.exec(cmdline)
    return client === null || client[1] === backend.database
  }).map(({ pid }) => pid)
}

type Backend = { kind: 'postgres', database: string } | { kind: 'redis' } | { kind: 'none' }

/** CPU spent by the app under load, by its store's server (PostgreSQL or Redis), and by the bench process (autocannon and the simulator). */
interface CpuUse { appUs: number, backendUs: number, benchUs: number }

async function measuringCpu<T> (appPid: number, backend: Backend, load: () => Promise<T>): Promise<{ value: T, cpu: CpuUse }> {
  // Backends that connect during the load are counted from zero: a pid seen only after started then
  const pidsBefore = backendPids(backend)
  const ticksBefore = new Map(pidsBefore.map((pid) => [pid, cpuTicks(pid)]))
  const before = { app: cpuTicks(appPid), bench: process.cpuUsage() }
  const value = await load()
  const bench = process.cpuUsage(before.bench)
  const backendTicks = backendPids(backend).reduce((total, pid) => total + cpuTicks(pid) - (ticksBefore.get(pid) ?? 0), 0)
  return {
    value,
    cpu: { appUs: (cpuTicks(appPid) - before.app) * TICK_US, backendUs: backendTicks * TICK_US, benchUs: bench.user + bench.system }
  }
}

const perRequest = (cpu: CpuUse, requests: number): CpuUse => ({ appUs: cpu.appUs / requests, backendUs: cpu.backendUs / requests, benchUs: cpu.benchUs / requests })
const addCpu = (a: CpuUse, b: CpuUse): CpuUse => ({ appUs: a.appUs + b.appUs, backendUs: a.backendUs + b.backendUs, benchUs: a.benchUs + b.benchUs })
const NO_CPU: CpuUse = { appUs: 0, backendUs: 0, benchUs: 0 }
/** Server-side CPU per request: the app and its store's server, not the load generator. */
const serverSideUs = (cpu: CpuUse) => cpu.appUs + cpu.backendUs

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

/** One app under intake load: the service, the bare app or a peer, and the server its store runs on. */
interface Target {
  name: string
  /** What it is, for the table. */
  label: string
  url: string
  pid: number
  backend: Backend
  /** A peer's own count of what it stored (the service's 2xx are looked up by email instead). */
  stored?: () => Promise<number>
  runs: Result[]
  cpu: CpuUse
}

/** A target's figures over its rounds. */
interface TargetFigures { label: string, rps: number, cpu: CpuUse, accepted: number, stored: number | undefined, failures: number }

async function main () {
  const startedAt = new Date()
  const loadBefore = loadavg()
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  const runId = randomBytes(4).toString('hex')
  // The service and each PostgreSQL peer in a database of its own: their backends are told apart by it
  const databaseUrl = (role: string) => {
    const url = new URL(ADMIN_URL)
    url.pathname = `/${role}_bench_${runId}`
    return url
  }
  const dbUrl = databaseUrl('contact_sync')
  const peerUrls = { naive: databaseUrl('naive'), pgBoss: databaseUrl('pg_boss') }
  const databases = [dbUrl, peerUrls.naive, peerUrls.pgBoss].map((url) => url.pathname.slice(1))
  for (const name of databases) await admin.unsafe(`CREATE DATABASE ${name}`)
  const db = postgres(dbUrl.toString(), { max: 2, onnotice: () => {} })
  const cleanups: Array<() => Promise<unknown>> = [
    async () => {
      for (const name of databases) await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await admin.end()
    },
    () => db.end()
  ]
  try {
    const simulator = await startHubSpotSimulator({ accessToken: TOKEN, rateLimit: { max: BUDGET_PER_10S, intervalMs: 10_000 } })
    cleanups.unshift(() => simulator.close())
    simulator.setFaults({ latencyMs: SIMULATOR_LATENCY_MS })

    const started: Array<{ name: string, label: string, backend: Backend, peer: { child: ChildProcess, url: string } }> = []
    const startTarget = async (name: string, label: string, file: string, backend: Backend, env: Record<string, string> = {}) => {
      const peer = await startPeer(file, env)
      cleanups.unshift(() => stopProcess(peer.child))
      started.push({ name, label, backend, peer })
      return peer
    }
    const bare = await startTarget('bare', 'bare Fastify (no write)', 'bare.ts', { kind: 'none' })
    await startTarget('naive', 'naive: one INSERT per request (postgres.js)', 'naive.ts', { kind: 'postgres', database: databases[1] }, { DATABASE_URL: peerUrls.naive.toString() })
    await startTarget('pg-boss', 'pg-boss `send()` per request', 'pg-boss.ts', { kind: 'postgres', database: databases[2] }, { DATABASE_URL: peerUrls.pgBoss.toString() })
    const bullmqSkipped = await redisAnswers(REDIS_URL) ? undefined : `no Redis answers at ${REDIS_URL}`
    if (bullmqSkipped === undefined) {
      await startTarget('bullmq', 'BullMQ `add()` per request (Redis, no fsync)', 'bullmq.ts', { kind: 'redis' }, { REDIS_URL, QUEUE_NAME: `contact-sync-bench-${runId}` })
    } else {
      progress(`BullMQ skipped: ${bullmqSkipped}`)
    }

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
    progress(`service pid ${service.pid} on ${serviceUrl}, bare app on ${bare.url}, simulator on ${simulator.url} (${SIMULATOR_LATENCY_MS} ms latency)`)

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
      search.bare.push(await searchLoad(bare.url, lowLoadEmails))
      search.service.push(await searchLoad(serviceUrl, lowLoadEmails))
    }
    const searchHubSpotCalls = simulator.stats().requests - readsBefore

    // 3. Intake at full speed, every target in turn with the same load, rounds interleaved; every
    // 2xx must be stored. The sync is held (HubSpot refuses the token) so that the service does
    // intake alone, as the peers do, and builds the backlog the sync window drains afterwards
    simulator.revokeToken()
    const storedCount = (url: string) => async () => {
      const response = await request(`${url}/stored`)
      return (await response.body.json() as { stored: number }).stored
    }
    const targets: Target[] = started.map(({ name, label, backend, peer }) => ({
      name,
      label,
      url: peer.url,
      pid: peer.child.pid!,
      backend,
      stored: name === 'bare' ? undefined : storedCount(peer.url),
      runs: [],
      cpu: NO_CPU
    }))
    targets.splice(1, 0, { name: 'service', label: 'contact-sync', url: serviceUrl, pid: service.pid!, backend: { kind: 'postgres', database: databases[0] }, runs: [], cpu: NO_CPU })
    const serviceTarget = targets[1]
    let rssPeakSampledKb = 0
    const rssSampler = setInterval(() => { rssPeakSampledKb = Math.max(rssPeakSampledKb, procStatusKb(service.pid!, 'VmRSS')) }, 100)
    const serviceStored = { accepted: 0, stored: 0 }
    const countStored = async (load: Load) => {
      const [{ stored }] = await db<{ stored: number }[]>`SELECT count(DISTINCT email)::int AS stored FROM contact_requests WHERE email = ANY(${load.acceptedEmails})`
      serviceStored.accepted += load.acceptedEmails.length
      serviceStored.stored += stored
    }
    for (let round = 1; round <= PLAN.rounds; round++) {
      progress(`intake round ${round}: ${targets.map((t) => t.name).join(', ')}, ${PLAN.loadSeconds} s each`)
      for (const target of targets) {
        const run = await measuringCpu(target.pid, target.backend, () => postLoad(target.url, `${target.name}${round}-`, {}))
        target.runs.push(run.value.result)
        target.cpu = addCpu(target.cpu, run.cpu)
        if (target === serviceTarget) await countStored(run.value)
      }
    }
    const sum = (results: Result[], key: '2xx' | 'duration' | 'non2xx' | 'errors') => results.reduce((total, r) => total + r[key], 0)
    const intake: Record<string, TargetFigures> = {}
    for (const target of targets) {
      const accepted = sum(target.runs, '2xx')
      intake[target.name] = {
        label: target.label,
        rps: accepted / sum(target.runs, 'duration'),
        cpu: perRequest(target.cpu, accepted),
        accepted,
        stored: target === serviceTarget ? serviceStored.stored : await target.stored?.(),
        failures: sum(target.runs, 'non2xx') + sum(target.runs, 'errors')
      }
    }
    let wide: { bareRps: number, serviceRps: number } | undefined
    if (!QUICK) {
      progress(`intake at ${WIDE_CONNECTIONS} connections: bare, then service, ${PLAN.loadSeconds} s each`)
      const bareWide = await postLoad(bare.url, 'bare-wide-', { connections: WIDE_CONNECTIONS })
      const serviceWide = await postLoad(serviceUrl, 'wide-', { connections: WIDE_CONNECTIONS })
      await countStored(serviceWide)
      wide = { bareRps: perSecond(bareWide.result), serviceRps: perSecond(serviceWide.result) }
    }
    const halfRate = Math.max(1, Math.floor(intake.service.rps / 2))
    progress(`intake latency at ${halfRate} req/s (half the service's maximum) for ${PLAN.loadSeconds} s`)
    const half = await postLoad(serviceUrl, 'half-', { overallRate: halfRate })
    await countStored(half)
    clearInterval(rssSampler)
    const peakRssMb = procStatusKb(service.pid!, 'VmHWM') / 1024

    // 4. Sync throughput on the backlog intake left, built while the sync was held: a window of
    // whole budget periods from the sync's first call after the token is accepted again
    const needed = Math.ceil(CEILING_PER_SECOND * PLAN.syncWindowSeconds * 1.2)
    const [{ backlog }] = await db<{ backlog: number }[]>`SELECT count(*)::int AS backlog FROM sync_queue`
    if (backlog < needed) {
      progress(`topping the queue up by ${needed - backlog} contacts`)
      // autocannon refuses an amount below its connection count
      const topUp = await postLoad(serviceUrl, 'top-', { amount: Math.max(CONNECTIONS, needed - backlog) })
      await countStored(topUp)
    }
    const upserts = () => simulator.stats().requestsByRoute['POST /crm/v3/objects/contacts/batch/upsert'] ?? 0
    const heldUpserts = upserts()
    simulator.restoreToken()
    const resumeDeadline = Date.now() + 30_000
    while (upserts() === heldUpserts) {
      if (Date.now() > resumeDeadline) throw new Error('the sync did not resume within 30 s of the token being accepted again')
      await sleep(5)
    }
    progress(`sync window: ${PLAN.syncWindowSeconds} s`)
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
      intake,
      bullmqSkipped,
      serviceStored,
      wide,
      half: { rate: halfRate, p50: half.result.latency.p50, p99: half.result.latency.p99, achieved: perSecond(half.result) },
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
  /** By target name: bare, service, naive, pg-boss, bullmq (absent when skipped). */
  intake: Record<string, TargetFigures>
  bullmqSkipped: string | undefined
  /** Every 2xx of the service over the whole run (intake rounds, 200 connections, half rate, top-up), looked up by email. */
  serviceStored: { accepted: number, stored: number }
  wide: { bareRps: number, serviceRps: number } | undefined
  half: { rate: number, p50: number, p99: number, achieved: number }
  search: { bareRps: number, serviceRps: number, failures: number, hubspotCalls: number }
  sync: { perSecond: number, calls: number, windowSeconds: number, rateLimited: number, deliveryP50: number, deliveryP99: number, deliverySamples: number, undelivered: number }
  peakRssMb: number
  rssPeakSampledMb: number
}

const fixed = (value: number, digits = 0) => value.toFixed(digits)
const thousands = (value: number) => Math.round(value).toLocaleString('en-US')
/** How far a figure is from its target: positive is the margin, negative the shortfall. */
const atLeast = (value: number, target: number) => `${value >= target ? 'met' : 'MISSED'}, ${value >= target ? '+' : ''}${fixed((value / target - 1) * 100)} %`
const below = (value: number, limit: number) => `${value < limit ? 'met' : 'MISSED'}, ${fixed(Math.abs(1 - value / limit) * 100)} % ${value < limit ? 'headroom' : 'over'}`
const atMost = (value: number, limit: number) => `${value <= limit ? 'met' : 'MISSED'}, ${fixed(Math.abs(1 - value / limit) * 100)} % ${value <= limit ? 'under' : 'over'}`
const cpuText = (cpu: CpuUse, backend: string) => `${fixed(serverSideUs(cpu))} (app ${fixed(cpu.appUs)}${backend === '' ? '' : ` + ${backend} ${fixed(cpu.backendUs)}`})`

// A peer counts its rows: posts in flight when a run stops are stored but their 2xx are not counted
const storedText = (t: TargetFigures) => {
  if (t.stored === undefined) return '—'
  const failures = t.failures > 0 ? `; ${t.failures} non-2xx or errors` : ''
  return t.stored >= t.accepted ? `all (${t.stored} stored, ${t.accepted} 2xx${failures})` : `MISSED: ${t.stored} stored of ${t.accepted} 2xx${failures}`
}

function report (f: Figures): void {
  const syncRatio = f.sync.perSecond / CEILING_PER_SECOND
  const searchRatio = f.search.serviceRps / f.search.bareRps
  const { service, bare, naive, bullmq } = f.intake
  const durable = f.serviceStored.stored === f.serviceStored.accepted
  const backendName: Record<string, string> = { bare: '', service: 'PostgreSQL', naive: 'PostgreSQL', 'pg-boss': 'PostgreSQL', bullmq: 'Redis' }
  const targetRows = Object.entries(f.intake).map(([name, t]) => [
    t.label,
    thousands(t.rps),
    fixed(t.rps / bare.rps, 2),
    fixed(service.rps / t.rps, 2),
    cpuText(t.cpu, backendName[name]),
    storedText(t)
  ])
  if (f.bullmqSkipped !== undefined) targetRows.push(['BullMQ `add()` per request', `skipped: ${f.bullmqSkipped}`, '—', '—', '—', '—'])
  const overBullmq = bullmq === undefined ? undefined : service.rps / bullmq.rps
  const cpuOverBullmq = bullmq === undefined ? undefined : serverSideUs(service.cpu) / serverSideUs(bullmq.cpu)
  const rows: Array<[string, string, string, string]> = [
    ['Intake: contact-sync / BullMQ req/s', overBullmq === undefined ? `skipped: ${f.bullmqSkipped}` : `${fixed(overBullmq, 2)} (${fixed(service.rps)} / ${fixed(bullmq!.rps)} req/s)`, `≥ ${TARGETS.overBullmq}`, overBullmq === undefined ? 'not measured' : atLeast(overBullmq, TARGETS.overBullmq)],
    ['Intake: contact-sync / naive INSERT req/s', `${fixed(service.rps / naive.rps, 2)} (${fixed(service.rps)} / ${fixed(naive.rps)} req/s)`, `≥ ${TARGETS.overNaive}`, atLeast(service.rps / naive.rps, TARGETS.overNaive)],
    ['Intake: server-side CPU per request, contact-sync (app + PostgreSQL) / BullMQ (app + Redis)', cpuOverBullmq === undefined ? `skipped: ${f.bullmqSkipped}` : `${fixed(cpuOverBullmq, 2)} (${fixed(serverSideUs(service.cpu))} / ${fixed(serverSideUs(bullmq!.cpu))} µs)`, `≤ ${TARGETS.cpuOverBullmq}`, cpuOverBullmq === undefined ? 'not measured' : atMost(cpuOverBullmq, TARGETS.cpuOverBullmq)],
    ['Intake: 2xx stored in contact_requests (whole run)', `${f.serviceStored.stored} of ${f.serviceStored.accepted} (${service.failures} non-2xx or errors in the rounds)`, 'all', durable ? 'met' : `MISSED, ${f.serviceStored.accepted - f.serviceStored.stored} lost`],
    ['Intake: contact-sync / bare Fastify (context; the 0.5 target is withdrawn)', `${fixed(service.rps / bare.rps, 2)} (${fixed(service.rps)} / ${fixed(bare.rps)} req/s)`, '—', '—'],
    ...(f.wide === undefined
      ? []
      : [[`Intake at ${WIDE_CONNECTIONS} connections, contact-sync / bare (context)`, `${fixed(f.wide.serviceRps / f.wide.bareRps, 2)} (${fixed(f.wide.serviceRps)} / ${fixed(f.wide.bareRps)} req/s)`, '—', '—'] as [string, string, string, string]]),
    ['Intake latency at half the maximum rate', `p50 ${fixed(f.half.p50)} ms, p99 ${fixed(f.half.p99)} ms at ${f.half.rate} req/s (${fixed(f.half.achieved)} achieved)`, '—', '—'],
    ['Search: service / bare GET /v1/contacts?email= (cached)', `${fixed(searchRatio, 2)} (${fixed(f.search.serviceRps)} / ${fixed(f.search.bareRps)} req/s; ${f.search.failures} non-2xx, ${f.search.hubspotCalls} HubSpot calls)`, `≥ ${TARGETS.searchRatio}`, atLeast(searchRatio, TARGETS.searchRatio)],
    ['Sync: contacts/s / ceiling (100 req/10 s × 100)', `${fixed(syncRatio, 3)} (${fixed(f.sync.perSecond)} / ${CEILING_PER_SECOND} contacts/s; ${f.sync.calls} calls in ${fixed(f.sync.windowSeconds, 1)} s)`, `≥ ${TARGETS.syncRatio}`, atLeast(syncRatio, TARGETS.syncRatio)],
    ['Sync: 429s from HubSpot (whole run)', String(f.sync.rateLimited), '0', f.sync.rateLimited === 0 ? 'met' : 'MISSED'],
    ['202 → in HubSpot at low load (10/s)', `p50 ${fixed(f.sync.deliveryP50)} ms, p99 ${fixed(f.sync.deliveryP99)} ms (${f.sync.deliverySamples} contacts${f.sync.undelivered > 0 ? `, ${f.sync.undelivered} NOT DELIVERED` : ''})`, `p99 < ${TARGETS.deliveryP99Ms} ms`, f.sync.undelivered > 0 ? 'MISSED' : below(f.sync.deliveryP99, TARGETS.deliveryP99Ms)],
    ['Peak RSS of the service (VmHWM, after the intake load)', `${fixed(f.peakRssMb, 1)} MB (sampled VmRSS peak ${fixed(f.rssPeakSampledMb, 1)} MB)`, `< ${TARGETS.peakRssMb} MB`, below(f.peakRssMb, TARGETS.peakRssMb)]
  ]
  const markdownTable = (header: string[], body: string[][]) => [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...body.map((row) => `| ${row.join(' | ')} |`)
  ].join('\n')
  const targetsTable = markdownTable(['intake target', 'req/s', 'ratio to bare', 'contact-sync / it', 'server-side CPU µs per request', '2xx stored'], targetRows)
  const table = markdownTable(['figure', 'measured', 'target', 'against the target'], rows)
  const command = QUICK ? 'npm run bench -- --quick' : 'npm run bench'
  const [cpu] = cpus()
  const section = [
    '<!-- bench:start (written by npm run bench; edit outside these markers) -->',
    `Run: \`${command}\` (\`DATABASE_URL\` names the PostgreSQL server; default \`${ADMIN_URL}\`), ${f.startedAt.toISOString()}.`,
    '',
    `- Machine: ${cpu.model}, ${cpus().length} cores, ${fixed(totalmem() / 2 ** 30, 1)} GiB memory; Node ${process.version}; PostgreSQL and Redis on the same machine.`,
    `- Load average (1/5/15 min) before: ${f.loadBefore.map((l) => fixed(l, 2)).join(' / ')}, after: ${f.loadAfter.map((l) => fixed(l, 2)).join(' / ')}.`,
    `- Load: autocannon in the bench process, ${CONNECTIONS} connections, ${PLAN.loadSeconds} s per run, ${PLAN.rounds} round(s) of every target in turn${QUICK ? '' : `, then bare and service at ${WIDE_CONNECTIONS} connections`}; one new email per POST. The sync is held (HubSpot refuses the token) while intake is measured, so that the service does intake alone like the peers. CPU per request: \`/proc/<pid>/stat\` of each app, of PostgreSQL's own processes and its backends on the target's database, or of Redis, over the ${CONNECTIONS}-connection runs.`,
    '- Peers (`bench/peers/`): Fastify apps that validate the body with the service\'s schema and answer 202 after their write; no keys or rate limits, which the service checks on every post.',
    `- Service: \`npm start\`'s command (\`${START_WORDS.join(' ')}\`) as a child process, LOG_LEVEL=${process.env.BENCH_LOG_LEVEL ?? 'warn'}, a fresh database, HUBSPOT_REQUESTS_PER_10S=${BUDGET_PER_10S}; simulator in the bench process, ${BUDGET_PER_10S} requests per 10 s, ${SIMULATOR_LATENCY_MS} ms latency on every call.`,
    `- Sync window: ${PLAN.syncWindowSeconds} s from the sync's first call once the token is accepted again, on the backlog intake left; low load: one POST every ${LOW_LOAD_INTERVAL_MS} ms for ${PLAN.lowLoadSeconds} s on an empty queue.`,
    '',
    targetsTable,
    '',
    table,
    '<!-- bench:end -->'
  ].join('\n')
  process.stdout.write(`\n${targetsTable}\n\n${table}\n\n`)
  if (QUICK) {
    process.stdout.write('Quick run: BENCHMARKS.md keeps the figures of the last full run.\n')
    return
  }
  const current = existsSync(BENCHMARKS_FILE) ? readFileSync(BENCHMARKS_FILE, 'utf8') : '# Benchmarks\n\n<!-- bench:start --><!-- bench:end -->\n'
  writeFileSync(BENCHMARKS_FILE, current.replace(/<!-- bench:start[\s\S]*<!-- bench:end -->/, section))
  process.stdout.write(`Figures written to ${BENCHMARKS_FILE}\n`)
}

await main()

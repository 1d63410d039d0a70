// node bench/intake-ab.ts [--seconds=N] [--pairs=N] [--connections=N] [--sync] A=/path/to/checkout B=/path/to/checkout …
// Intake alone, interleaved: each checkout's service (its own `npm start` command, cwd, fresh
// database) takes the bench's intake load in turn (new email per post, intake key, 50
// connections); the order alternates each round (ABBA…). Per run: posts/s, and CPU per post of
// the service and of PostgreSQL (its own processes and the backends on that service's database).
// The sync is held (the simulator refuses the token) unless --sync. Prints one line per run and the
// medians; compare ratios within one run: the machine is shared.
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadavg } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon from 'autocannon'
import postgres from 'postgres'
import { request } from 'undici'
import { startHubSpotSimulator } from '../src/simulator/simulator.ts'

const args = process.argv.slice(2)
const flag = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback)
const SECONDS = flag('seconds', 8)
const PAIRS = flag('pairs', 3)
const CONNECTIONS = flag('connections', 50)
const WITH_SYNC = args.includes('--sync')
// label=dir, or label=dir?VAR=value&VAR2=value for settings of that service only
const checkouts = args.filter((a) => !a.startsWith('--')).map((a) => {
  const [label, rest] = [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
  const [dir, query = ''] = rest.split('?')
  return { label, dir, env: Object.fromEntries(new URLSearchParams(query)) }
})
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TOKEN = 'pat-bench-token'
const INTAKE_KEY = 'bench-intake-key-0123456789'
const READ_KEY = 'bench-read-key-0123456789'

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
function cpuTicks (pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return Number(fields[11]) + Number(fields[12])
  } catch { return 0 }
}
const CLIENT_BACKEND = /^postgres: \S+: \S+ (\S+) (\[local\]|\S+\(\d+\))/
function pgPids (database: string): number[] {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      if (!readFileSync(`/proc/${e}/comm`, 'utf8').startsWith('postgres')) return []
      const client = CLIENT_BACKEND.exec(readFileSync(`/proc/${e}/cmdline`, 'utf8').replaceAll('\0', ' '))
      return client === null || client[1] === database ? [Number(e)] : []
    } catch { return [] }
  })
}
const median = (values: number[]) => { const s = [...values].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }

const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
const simulator = await startHubSpotSimulator({ accessToken: TOKEN, rateLimit: { max: 100, intervalMs: 10_000 } })
simulator.setFaults({ latencyMs: 200 })
const runId = randomBytes(3).toString('hex')
const services: Array<{ label: string, database: string, url: string, child: ChildProcess, runs: Array<{ rps: number, app: number, pg: number }> }> = []
try {
  for (const [i, { label, dir, env }] of checkouts.entries()) {
    const database = `ab_${runId}_${i}`
    await admin.unsafe(`CREATE DATABASE ${database}`)
    const url = new URL(ADMIN_URL); url.pathname = `/${database}`
    const words = (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/)
    const nodeAt = words.indexOf('node')
    const port = await freePort()
    const child = spawn(process.execPath, words.slice(nodeAt + 1), {
      cwd: dir,
      env: {
        PATH: process.env.PATH!,
        HOME: process.env.HOME ?? '/tmp',
        ...Object.fromEntries(words.slice(0, nodeAt).map((w) => w.split('=', 2))),
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: url.toString(),
        LOG_LEVEL: 'warn',
        HUBSPOT_BASE_URL: simulator.url,
        HUBSPOT_ACCESS_TOKEN: TOKEN,
        HUBSPOT_REQUESTS_PER_10S: '100',
        API_KEYS: `intake:${INTAKE_KEY},read:${READ_KEY}`,
        INTAKE_RATE_PER_MINUTE: '1000000000',
        ...env,
        ...(process.env.AB_EXTRA_ENV ? Object.fromEntries(process.env.AB_EXTRA_ENV.split(',').map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)])) : {})
      },
      stdio: ['ignore', 'inherit', 'inherit']
    })
    services.push({ label, database, url: `http://127.0.0.1:${port}`, child, runs: [] })
  }
  for (const s of services) {
    for (let tries = 0; ; tries++) {
      try { const r = await request(`${s.url}/health/ready`); await r.body.dump(); if (r.statusCode === 200) break } catch {}
      if (tries > 300) throw new Error(`${s.label} not ready`)
      await sleep(100)
    }
  }
  if (!WITH_SYNC) simulator.revokeToken()
  process.stderr.write(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; ${SECONDS} s × ${PAIRS} rounds, ${CONNECTIONS} connections, sync ${WITH_SYNC ? 'running' : 'held'}\n`)
  // A warm-up per service (JIT, pool), not counted
  for (const s of services) await autocannon({ url: `${s.url}/v1/contacts`, connections: CONNECTIONS, duration: 2, requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INTAKE_KEY}` }, setupRequest: (r) => ({ ...r, body: JSON.stringify({ email: `warm-${randomBytes(6).toString('hex')}@bench.example.com`, properties: { firstname: 'Ada', company: 'Analytical Engines' } }) }) }] })
  for (let round = 0; round < PAIRS; round++) {
    const order = round % 2 === 0 ? services : [...services].reverse()
    for (const s of order) {
      let next = 0
      const pids = pgPids(s.database)
      const before = new Map(pids.map((p) => [p, cpuTicks(p)]))
      const appBefore = cpuTicks(s.child.pid!)
      const commits = async () => Number((await admin`SELECT xact_commit FROM pg_stat_database WHERE datname = ${s.database}`)[0].xact_commit)
      const commitsBefore = await commits()
      const result = await autocannon({
        url: `${s.url}/v1/contacts`,
        connections: CONNECTIONS,
        duration: SECONDS,
        requests: [{ method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${INTAKE_KEY}` }, setupRequest: (r) => ({ ...r, body: JSON.stringify({ email: `r${round}-${next++}@bench.example.com`, properties: { firstname: 'Ada', company: 'Analytical Engines' } }) }) }]
      })
      const app = (cpuTicks(s.child.pid!) - appBefore) * 10_000
      const pg = pgPids(s.database).reduce((t, p) => t + cpuTicks(p) - (before.get(p) ?? 0), 0) * 10_000
      const posts = result['2xx']
      await sleep(600) // PostgreSQL 15 reports a backend's counts at most every 500 ms
      const perCommit = posts / (await commits() - commitsBefore)
      const run = { rps: posts / result.duration, app: app / posts, pg: pg / posts }
      s.runs.push(run)
      process.stderr.write(`${s.label.padEnd(8)} round ${round + 1}: ${run.rps.toFixed(0).padStart(6)} posts/s, app ${run.app.toFixed(0)} + PostgreSQL ${run.pg.toFixed(0)} = ${(run.app + run.pg).toFixed(0)} µs/post, ${perCommit.toFixed(1)} posts/commit; non-2xx ${result.non2xx}, errors ${result.errors}; load ${loadavg()[0].toFixed(2)}\n`)
    }
  }
  for (const s of services) {
    const m = (k: 'rps' | 'app' | 'pg') => median(s.runs.map((r) => r[k]))
    process.stdout.write(`${s.label}: median ${m('rps').toFixed(0)} posts/s, app ${m('app').toFixed(0)} + PostgreSQL ${m('pg').toFixed(0)} µs/post (total median ${median(s.runs.map((r) => r.app + r.pg)).toFixed(0)})\n`)
  }
  if (services.length === 2) {
    const [a, b] = services
    const ratios = a.runs.map((r, i) => b.runs[i].rps / r.rps)
    const cpu = a.runs.map((r, i) => (b.runs[i].app + b.runs[i].pg) / (r.app + r.pg))
    process.stdout.write(`${b.label}/${a.label} per round: posts/s ${ratios.map((x) => x.toFixed(2)).join(' ')}; CPU per post ${cpu.map((x) => x.toFixed(2)).join(' ')}\n`)
  }
} finally {
  for (const s of services) {
    // One that exited already (a failed start) is not waited for, so its database is still dropped
    if (s.child.exitCode !== null || s.child.signalCode !== null) continue
    const exited = new Promise((resolve) => s.child.once('exit', resolve))
    s.child.kill('SIGTERM')
    await exited
  }
  for (const s of services) await admin.unsafe(`DROP DATABASE IF EXISTS ${s.database} WITH (FORCE)`)
  await admin.end()
  await simulator.close()
}

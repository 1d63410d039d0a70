import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'

export const SERVER_ENTRY = fileURLToPath(new URL('../../src/server.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

/** The variables a child process inherits: the machine's, never the service's own settings. */
function baseEnv (): Record<string, string> {
  const inherited: Record<string, string> = {}
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG']) {
    if (process.env[name] !== undefined) inherited[name] = process.env[name]!
  }
  return inherited
}

export async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export interface ServerProcess {
  child: ChildProcess
  baseUrl: string
  output: () => string
  /** Resolves with the exit code and signal. */
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

/** Starts `node src/server.ts` as a real process on a free loopback port. */
export async function startServer (options: { env: Record<string, string | undefined>, cwd?: string }): Promise<ServerProcess> {
  const port = await freePort()
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...baseEnv(), HOST: '127.0.0.1', PORT: String(port), ...options.env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let output = ''
  child.stdout!.on('data', (chunk) => { output += chunk })
  child.stderr!.on('data', (chunk) => { output += chunk })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => resolve({ code, signal }))
  })
  return { child, baseUrl: `http://127.0.0.1:${port}`, output: () => output, exited }
}

/** Runs the server to its exit (for starts that must fail) and collects what it wrote. */
export async function runServer (options: { env: Record<string, string | undefined>, cwd?: string, timeoutMs?: number }): Promise<{ code: number | null, stderr: string }> {
  const child = spawn(process.execPath, [SERVER_ENTRY], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...baseEnv(), ...options.env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: options.timeoutMs ?? 15000
  })
  let stderr = ''
  child.stderr.on('data', (chunk) => { stderr += chunk })
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  return { code, stderr }
}

/**
 * How long a test waits for a started server to become ready. Tests assert that it does, not how
 * fast: about 3.5 s on the embedded database when the machine is idle, far more when it is busy.
 */
export const STARTUP_TIMEOUT_MS = 30_000

/** Polls a URL until it answers with the status, or fails after timeoutMs. */
export async function waitForStatus (url: string, status: number, timeoutMs: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) })
      await response.body?.cancel()
      if (response.status === status) return Date.now() - started
    } catch {}
    if (Date.now() - started > timeoutMs) throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

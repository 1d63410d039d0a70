import type { Sql } from '../db/client.ts'
import type { HubSpotError } from '../hubspot/errors.ts'
import type { SyncEvents } from '../store/sync-events.ts'
import { claimEntries, dueBacklog, releaseAllLeases, releaseEntries, type QueueEntry } from '../store/queue-table.ts'
import { syncBatch, type ContactUpserter } from './sync-batch.ts'
import { sleep } from '../lib/waiting.ts'

export interface SyncWorkerOptions {
  /** Inputs per HubSpot call (HubSpot's maximum is 100). */
  batchSize: number
  /** Batches out at HubSpot at once. */
  concurrency: number
  /** How long a partial batch may wait for more contacts before it is sent anyway. */
  lingerMs: number
  /** How long a claim is held before another worker may take it (a crashed process's claims come back). */
  leaseMs: number
  /** Fallback poll when no wake-up arrives (due retries, lost notifications). */
  idlePollMs: number
  /** While HubSpot refuses the token: how often to ask whether it accepts it again. */
  pauseCheckMs: number
  retryBaseMs: number
  retryMaxMs: number
  /** On shutdown: how long a batch out at HubSpot may take before its claims are given back. */
  shutdownGraceMs: number
}

// A backlog of this many full batches goes at once, lingering or not
const HEAVY_BACKLOG_BATCHES = 3

export const DEFAULT_SYNC_OPTIONS: SyncWorkerOptions = {
  batchSize: 100,
  concurrency: 4,
  lingerMs: 200,
  leaseMs: 5 * 60_000,
  idlePollMs: 1000,
  pauseCheckMs: 5000,
  retryBaseMs: 1000,
  retryMaxMs: 30_000,
  shutdownGraceMs: 5000
}

export interface SyncWorkerDeps {
  sql: Sql
  hubspot: ContactUpserter & { checkConnection: () => Promise<{ ok: boolean }> }
  events: SyncEvents
  log: { info: (obj: object, msg: string) => void, warn: (obj: object, msg: string) => void, error: (obj: object, msg: string) => void }
  /** Told when the sync pauses on a refused token (with the error) and when it resumes (undefined). */
  onPause: (error: HubSpotError | undefined) => void
  options: SyncWorkerOptions
}

/** Full-jitter exponential backoff: a random wait up to base × 2^(attempts-1), capped. */
export function retryDelay (options: Pick<SyncWorkerOptions, 'retryBaseMs' | 'retryMaxMs'>, attempts: number): number {
  const ceiling = Math.min(options.retryMaxMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1))
  return Math.round(ceiling / 2 + Math.random() * ceiling / 2)
}

/**
 * The leader's sync loop: lanes claim due batches and upsert them until leadership ends.
 * A refused token pauses every lane until HubSpot accepts it again.
 */
export async function runSyncWorker (deps: SyncWorkerDeps, leadership: AbortSignal): Promise<void> {
  const { sql, options, log } = deps
  let paused: HubSpotError | undefined
  const resumed = new EventTarget()

  const released = await releaseAllLeases(sql)
  log.info({ released }, 'sync worker started')

  function pause (error: HubSpotError) {
    if (paused) return
    paused = error
    deps.onPause(error)
    log.warn({ kind: error.kind, status: error.status }, 'HubSpot refused the token: sync paused')
    void watchForResume()
  }

  async function watchForResume () {
    while (paused && !leadership.aborted) {
      await sleep(options.pauseCheckMs, leadership)
      const check = await deps.hubspot.checkConnection().catch(() => ({ ok: false }))
      if (check.ok) {
        paused = undefined
        deps.onPause(undefined)
        log.info({}, 'HubSpot accepts the token again: sync resumed')
        resumed.dispatchEvent(new Event('resume'))
      }
    }
  }

  const onResume = (listener: () => void) => {
    resumed.addEventListener('resume', listener)
    return () => resumed.removeEventListener('resume', listener)
  }

  // Lanes decide and claim one at a time, so two lanes never split one full batch
  let claimTurn = Promise.resolve()
  let lastDue = 0
  function claimNext (): Promise<QueueEntry[] | { waitMs: number, idle: boolean }> {
    const turn = claimTurn.then(async () => {
      const backlog = await dueBacklog(sql, HEAVY_BACKLOG_BATCHES * options.batchSize)
      if (backlog.due === 0) return { waitMs: options.idlePollMs, idle: true }
      // Every contact lingers before it goes, so that later requests for its email merge into
      // it rather than follow in another batch, unless the backlog is heavy. A partial batch goes
      // once contacts stop arriving (or after 4 lingers) and no other batch is out: extra lanes
      // are for a backlog of full batches.
      const heavy = backlog.due >= HEAVY_BACKLOG_BATCHES * options.batchSize
      const aged = backlog.oldestMs >= options.lingerMs
      const stillFilling = backlog.due > lastDue && backlog.oldestMs < 4 * options.lingerMs
      lastDue = backlog.due
      const full = backlog.due >= options.batchSize
      if (!heavy && !(aged && (full || (!stillFilling && claimed.size === 0)))) {
        // While batches are out (HubSpot's answer, the rate budget) there is no hurry: look again a linger later
        const waitMs = !aged ? options.lingerMs - backlog.oldestMs : claimed.size > 0 ? options.lingerMs : 10
        return { waitMs: Math.max(10, waitMs), idle: false }
      }
      const entries = await claimEntries(sql, options.batchSize, options.leaseMs)
      for (const entry of entries) claimed.add(entry.email)
      return entries
    })
    claimTurn = turn.then(() => {}, () => {})
    return turn
  }

  async function lane () {
    while (!leadership.aborted) {
      if (paused) {
        await sleep(options.pauseCheckMs, leadership, onResume)
        continue
      }
      let entries: QueueEntry[] = []
      try {
        const next = await claimNext()
        if (!Array.isArray(next)) {
          await sleep(next.waitMs, leadership, next.idle ? deps.events.onQueued : undefined)
          continue
        }
        entries = next
        const result = await syncBatch({
          sql,
          hubspot: deps.hubspot,
          retryDelayMs: (attempts) => retryDelay(options, attempts),
          onSettled: deps.events.settled
        }, entries)
        if (result.paused) pause(result.paused)
      } catch (error) {
        log.error({ err: error }, 'sync batch failed; its claims come back when their lease ends')
        await sleep(options.idlePollMs, leadership)
      } finally {
        for (const entry of entries) claimed.delete(entry.email)
      }
    }
  }

  // Emails of the batches out at HubSpot, given back if a shutdown cannot wait for them
  const claimed = new Set<string>()
  const lanes = Promise.all(Array.from({ length: options.concurrency }, lane))
  const lanesDone = new AbortController()
  void lanes.finally(() => lanesDone.abort())
  await new Promise<void>((resolve) => {
    if (leadership.aborted) resolve()
    else leadership.addEventListener('abort', () => resolve(), { once: true })
  })
  await sleep(options.shutdownGraceMs, lanesDone.signal)
  if (claimed.size > 0) {
    log.warn({ contacts: claimed.size }, 'giving back claims still out at HubSpot')
    await releaseEntries(sql, [...claimed]).catch((error: unknown) => log.error({ err: error }, 'could not give back claims; their lease will'))
  }
  log.info({}, 'sync worker stopped')
}

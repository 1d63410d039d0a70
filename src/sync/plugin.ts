import fp from 'fastify-plugin'
import { createSyncEvents, type SyncEvents } from '../store/sync-events.ts'
import { runAsLeader } from './leader.ts'
import { connectSql } from '../db/client.ts'
import { DEFAULT_SYNC_OPTIONS, runSyncWorker, type SyncWorkerDeps, type SyncWorkerOptions } from './worker.ts'
import { DEFAULT_UPKEEP_OPTIONS, runTableUpkeep } from './upkeep.ts'
import type { HubSpotError } from '../hubspot/errors.ts'

declare module 'fastify' {
  interface FastifyInstance {
    syncEvents: SyncEvents
    /** Why the sync is paused (HubSpot refused the token or its scopes), or undefined while it runs. */
    syncPausedBy: () => HubSpotError | undefined
  }
}

export interface SyncPluginOptions {
  tuning?: Partial<SyncWorkerOptions>
  /** How often a follower replica tries to become the sync leader. */
  leaderCheckMs?: number
  /** Told how many requests each settle synced and failed, with the synced ones' latencies. */
  onRequestsSettled?: SyncWorkerDeps['onRequestsSettled']
}

const LEADER_STATEMENT_TIMEOUT_MS = 2000

/**
 * The background sync: one leader across all replicas runs the worker; every replica
 * takes contacts in and wakes the leader.
 */
export default fp<SyncPluginOptions>(async function sync (fastify, options) {
  const log = fastify.log.child({ component: 'sync' })
  const onError = (error: unknown) => log.error({ err: error }, 'sync plumbing error')
  // The embedded database is one process's own: no other replica to notify or to elect a leader among
  const shared = fastify.config.databaseUrl !== undefined
  const events = await createSyncEvents(shared ? fastify.sql : undefined, onError)
  fastify.decorate('syncEvents', events)

  let pausedBy: HubSpotError | undefined
  fastify.decorate('syncPausedBy', () => pausedBy)

  const stop = new AbortController()
  let leaderLoop: Promise<void> | undefined
  const work = async (leadership: AbortSignal) => {
    await Promise.all([
      runSyncWorker({
        sql: fastify.sql,
        hubspot: fastify.hubspot,
        events,
        log,
        onPause: (error) => { pausedBy = error },
        onRequestsSettled: options.onRequestsSettled ?? (() => {}),
        options: { ...DEFAULT_SYNC_OPTIONS, ...options.tuning }
      }, leadership),
      runTableUpkeep({ sql: fastify.sql, log, options: DEFAULT_UPKEEP_OPTIONS }, leadership)
    ])
  }
  fastify.addHook('onReady', async () => {
    leaderLoop = shared
      ? runAsLeader(
        // Only the lock and a heartbeat run on it: no array types to load on each new connection
        () => connectSql(fastify.config.databaseUrl!, { maxConnections: 1, statementTimeoutMs: LEADER_STATEMENT_TIMEOUT_MS, fetchTypes: false }),
        stop.signal,
        { checkIntervalMs: options.leaderCheckMs ?? 2000, onError },
        (leadership) => {
          log.info({}, 'this instance leads the sync')
          return work(leadership)
        }
      )
      : work(stop.signal)
  })
  // Before the database closes: the worker finishes or gives back its batch
  fastify.addHook('preClose', async () => {
    await events.close()
    stop.abort()
    await leaderLoop
  })
}, { name: 'sync', dependencies: ['config', 'database', 'hubspot'] })

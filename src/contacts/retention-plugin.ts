import fp from 'fastify-plugin'
import { within } from '../lib/waiting.ts'
import { DEFAULT_RETENTION_OPTIONS, runRetention, type RetentionOptions } from './retention.ts'

/** Tests tighten the timings; production runs on the defaults. */
export type RetentionPluginOptions = Partial<Omit<RetentionOptions, 'retentionDays'>>

// A statement under way at close is abandoned past this: the pool's end cancels it, and a
// delete is all or nothing
const STOP_WAIT_MS = 1000

/**
 * Deletes synced requests older than RETENTION_DAYS and expired idempotency keys, in small
 * batches, every few minutes. Every replica runs it: the deletes are idempotent, and two
 * replicas deleting at once only wait for each other's row locks.
 */
export default fp<RetentionPluginOptions>(async function retention (fastify, options) {
  const log = fastify.log.child({ component: 'retention' })
  const stop = new AbortController()
  let job: Promise<void> | undefined
  fastify.addHook('onReady', async () => {
    job = runRetention({
      sql: fastify.sql,
      log,
      options: { ...DEFAULT_RETENTION_OPTIONS, ...options, retentionDays: fastify.config.retentionDays }
    }, stop.signal)
  })
  // Before the database closes
  fastify.addHook('preClose', async () => {
    stop.abort()
    if (job) await within(job, STOP_WAIT_MS)
  })
}, { name: 'retention', dependencies: ['config', 'database'] })

import type { FastifyBaseLogger } from 'fastify'
import type { Sql } from '../db/client.ts'
import { sleep } from '../lib/waiting.ts'
import { deleteSyncedRequests } from '../store/requests-table.ts'
import { deleteExpiredIdempotencyKeys } from '../store/idempotency-table.ts'

export interface RetentionOptions {
  /** RETENTION_DAYS: synced requests are kept this long after their sync. */
  retentionDays: number
  intervalMs: number
  /** Rows one statement deletes at most: it holds its locks for milliseconds, never long. */
  batchSize: number
  /** Between two statements of a sweep, so that a backlog never keeps the database busy. */
  pauseMs: number
}

export const DEFAULT_RETENTION_OPTIONS: Omit<RetentionOptions, 'retentionDays'> = {
  intervalMs: 5 * 60_000,
  batchSize: 1000,
  pauseMs: 100
}

export interface SweepResult { requests: number, idempotencyKeys: number }

/** Batch after batch until one comes back short or the job stops; returns how many rows went. */
async function deleteInBatches (deleteBatch: (limit: number) => Promise<number>, options: RetentionOptions, signal: AbortSignal): Promise<number> {
  let total = 0
  for (;;) {
    const deleted = await deleteBatch(options.batchSize)
    total += deleted
    if (deleted < options.batchSize || signal.aborted) return total
    await sleep(options.pauseMs, signal)
  }
}

/** One pass: synced requests past retention, then expired idempotency keys. */
export async function sweep (sql: Sql, options: RetentionOptions, signal: AbortSignal): Promise<SweepResult> {
  const requests = await deleteInBatches((limit) => deleteSyncedRequests(sql, options.retentionDays, limit), options, signal)
  const idempotencyKeys = await deleteInBatches((limit) => deleteExpiredIdempotencyKeys(sql, limit), options, signal)
  return { requests, idempotencyKeys }
}

/** A sweep every intervalMs until the signal aborts; a failed sweep is logged and tried again at the next. */
export async function runRetention (
  deps: { sql: Sql, log: Pick<FastifyBaseLogger, 'info' | 'warn'>, options: RetentionOptions },
  signal: AbortSignal
): Promise<void> {
  const { sql, log, options } = deps
  for (;;) {
    await sleep(options.intervalMs, signal)
    if (signal.aborted) return
    try {
      const deleted = await sweep(sql, options, signal)
      if (deleted.requests > 0 || deleted.idempotencyKeys > 0) log.info({ deleted }, 'old rows deleted')
    } catch (error) {
      if (!signal.aborted) log.warn({ err: error }, 'retention sweep failed; tried again at the next interval')
    }
  }
}

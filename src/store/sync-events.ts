import { EventEmitter } from 'node:events'
import { randomUUID } from 'node:crypto'
import type { Sql } from '../db/client.ts'
import { within } from '../lib/waiting.ts'

/**
 * Wake-ups between intake and the sync worker, and sync results for callers waiting
 * with `Prefer: wait`. In-process always; across replicas through LISTEN/NOTIFY.
 */
export interface SyncEvents {
  /** New requests were committed. */
  queued: () => void
  onQueued: (listener: () => void) => () => void
  /** Requests of these emails were settled (synced or failed). */
  settled: (emails: string[]) => void
  onSettled: (listener: (emails: string[] | 'all') => void) => () => void
  /** Stops the events; waiters are told so they can answer now. */
  close: () => Promise<void>
  onClose: (listener: () => void) => () => void
}

const QUEUED_CHANNEL = 'contact_sync_queued'
const SETTLED_CHANNEL = 'contact_sync_settled'
// NOTIFY payloads are limited to 8000 bytes; past this, listeners re-check everything
const MAX_PAYLOAD = 7000
// Intake runs hundreds of commits a second: one cross-process wake-up per interval is enough
const QUEUED_NOTIFY_INTERVAL_MS = 50
const UNLISTEN_TIMEOUT_MS = 1000

export async function createSyncEvents (sql: Sql | undefined, onError: (error: unknown) => void): Promise<SyncEvents> {
  const local = new EventEmitter()
  local.setMaxListeners(0)
  const origin = randomUUID()
  const unlisteners: Array<() => Promise<void>> = []
  let queuedNotifyTimer: NodeJS.Timeout | undefined

  if (sql) {
    const fromElsewhere = (payload: string) => payload.slice(0, origin.length) !== origin
    const queued = await sql.listen(QUEUED_CHANNEL, (payload) => {
      if (fromElsewhere(payload)) local.emit('queued')
    })
    const settled = await sql.listen(SETTLED_CHANNEL, (payload) => {
      if (!fromElsewhere(payload)) return
      const body = payload.slice(origin.length + 1)
      local.emit('settled', body === '*' ? 'all' : JSON.parse(body) as string[])
    })
    unlisteners.push(queued.unlisten, settled.unlisten)
  }

  function notify (channel: string, body: string) {
    sql?.notify(channel, `${origin}:${body}`).catch(onError)
  }

  return {
    queued () {
      local.emit('queued')
      if (sql && !queuedNotifyTimer) {
        queuedNotifyTimer = setTimeout(() => {
          queuedNotifyTimer = undefined
          notify(QUEUED_CHANNEL, '')
        }, QUEUED_NOTIFY_INTERVAL_MS)
      }
    },
    onQueued (listener) {
      local.on('queued', listener)
      return () => { local.off('queued', listener) }
    },
    settled (emails) {
      local.emit('settled', emails)
      const body = JSON.stringify(emails)
      notify(SETTLED_CHANNEL, body.length > MAX_PAYLOAD ? '*' : body)
    },
    onSettled (listener) {
      local.on('settled', listener)
      return () => { local.off('settled', listener) }
    },
    onClose (listener) {
      local.on('close', listener)
      return () => { local.off('close', listener) }
    },
    async close () {
      local.emit('close')
      clearTimeout(queuedNotifyTimer)
      // Bounded: on a hung connection UNLISTEN never answers, and the pool's end closes it anyway
      await within(Promise.all(unlisteners.map((unlisten) => unlisten().catch(onError))), UNLISTEN_TIMEOUT_MS)
    }
  }
}

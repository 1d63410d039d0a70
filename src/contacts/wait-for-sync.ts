import type { SyncEvents } from '../store/sync-events.ts'
import type { RequestState } from '../store/requests-table.ts'

/**
 * Waits until the request is synced or failed, the time is up or the service is closing;
 * woken by the sync's own settle events for its email, not by polling. Resolves with the
 * last state read.
 */
export async function waitForSync (
  events: SyncEvents,
  email: string,
  read: () => Promise<RequestState | undefined>,
  timeoutMs: number
): Promise<RequestState | undefined> {
  const deadline = Date.now() + timeoutMs
  let wake: (() => void) | undefined
  let closing = false
  const unsubscribe = events.onSettled((emails) => {
    if (emails === 'all' || emails.includes(email)) wake?.()
  })
  // Shutting down: answer with what is known now rather than hold the drain
  const unsubscribeClose = events.onClose(() => {
    closing = true
    wake?.()
  })
  try {
    for (;;) {
      const woken = new Promise<void>((resolve) => { wake = resolve })
      const state = await read()
      const remaining = deadline - Date.now()
      if (!state || state.status === 'synced' || state.status === 'failed' || remaining <= 0 || closing) return state
      let timer: NodeJS.Timeout | undefined
      await Promise.race([woken, new Promise((resolve) => { timer = setTimeout(resolve, remaining) })])
      clearTimeout(timer)
    }
  } finally {
    unsubscribe()
    unsubscribeClose()
  }
}

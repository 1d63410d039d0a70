import { HubSpotBusyError } from './errors.ts'

/** Whose share a request draws on: the sync worker's, or lookups' (search misses, operator checks). */
export type RequestPriority = 'sync' | 'lookup'

export type RateBudgetOptions = {
  /** Requests the client allows itself per window (HUBSPOT_REQUESTS_PER_10S). */
  requestsPerWindow: number
  /** 10 s in production; tests shrink it. */
  windowMs: number
  /** The largest share of requestsPerWindow lookups may hold together (HUBSPOT_LOOKUP_SHARE). */
  lookupShare: number
  /** A lookup without a slot after this is refused with HubSpotBusyError. */
  lookupWaitMs: number
  now?: () => number
}

/** What HubSpot's X-HubSpot-RateLimit-* headers said about its own window. */
export type ServerRateLimit = {
  max: number
  remaining: number
  intervalMs: number
}

export type RateBudget = {
  /**
   * Resolves when a request may be sent; call the returned function when its answer (or failure) is in.
   * A lookup rejects with HubSpotBusyError when no slot comes within lookupWaitMs.
   */
  acquire: (priority?: RequestPriority) => Promise<() => void>
  observe: (serverLimit: ServerRateLimit) => void
  /** Nothing is granted, to any caller, before this time (HubSpot answered 429). */
  pauseUntil: (at: number) => void
  /** Slots held now (in flight, or answered within the window) against the limit: the metrics' gauge. */
  usage: () => { held: number, limit: number }
  /** Rejects the callers still waiting, so a closed client leaves no pending timer behind. */
  close: () => void
}

/** Slots held by a set of requests: those in flight, and the answers still inside the window. */
export type SlotUse = {
  inFlight: number
  /** Oldest first. */
  completedAt: number[]
}

/** What the grant policy looks at, at one moment. */
export type BudgetView = {
  at: number
  windowMs: number
  /** Requests allowed per window now: our own budget, or less while HubSpot reports another consumer. */
  limit: number
  /** Requests of the window lookups may hold together. */
  lookupCap: number
  /** Nothing is granted before this (a 429). */
  pausedUntil: number
  all: SlotUse
  lookups: SlotUse
  syncWaiting: boolean
}

/** Lookups' part of the window; the epsilon keeps e.g. 190 × 0.3 (56.99…) at 57. */
export function lookupCap (requestsPerWindow: number, lookupShare: number): number {
  return Math.floor(requestsPerWindow * lookupShare + 1e-9)
}

function held (use: SlotUse): number {
  return use.inFlight + use.completedAt.length
}

/** The sync may take the whole window; a lookup only its share, and only when no sync call waits. */
export function mayGrant (priority: RequestPriority, view: BudgetView): boolean {
  if (view.at < view.pausedUntil || held(view.all) >= view.limit) return false
  return priority === 'sync' || (!view.syncWaiting && held(view.lookups) < view.lookupCap)
}

/** When this use holds fewer than cap slots: answers leave the window oldest first; one still in flight needs at least a window. */
function belowCapAt (use: SlotUse, cap: number, view: BudgetView): number {
  if (cap <= 0) return Number.POSITIVE_INFINITY
  const excess = held(use) - cap
  if (excess < 0) return view.at
  return excess < use.completedAt.length ? use.completedAt[excess] + view.windowMs : view.at + view.windowMs
}

/** The earliest a request of this class could be granted, other waiters aside; Infinity: never. */
function nextSlotAt (priority: RequestPriority, view: BudgetView): number {
  const ownShareAt = priority === 'lookup' ? belowCapAt(view.lookups, view.lookupCap, view) : view.at
  return Math.max(view.pausedUntil, belowCapAt(view.all, view.limit, view), ownShareAt)
}

/** Retry-After for a refused lookup: until its next slot, in whole seconds, at least one; a window when lookups have no share. */
export function lookupRetryAfterMs (view: BudgetView): number {
  const slotAt = nextSlotAt('lookup', view)
  const waitMs = Number.isFinite(slotAt) ? slotAt - view.at : view.windowMs
  return Math.max(1000, Math.ceil(waitMs / 1000) * 1000)
}

type Waiter = {
  priority: RequestPriority
  grant: (release: () => void) => void
  refuse: (error: Error) => void
  /** Lookups only: refuses the waiter at its deadline. */
  deadline?: NodeJS.Timeout
}

/**
 * Sliding window over request completion times. A request occupies a slot from the
 * moment it is sent until windowMs after its answer: HubSpot counts it on arrival,
 * which is never later than the answer, so our window always trails HubSpot's and
 * a budget equal to the HubSpot limit cannot cause a 429.
 * Waiting sync calls go before waiting lookups, and lookups hold at most their share,
 * so searches cannot starve the sync.
 */
export function createRateBudget (options: RateBudgetOptions): RateBudget {
  const now = options.now ?? Date.now
  const maxLookups = lookupCap(options.requestsPerWindow, options.lookupShare)
  const all: SlotUse = { inFlight: 0, completedAt: [] }
  const lookups: SlotUse = { inFlight: 0, completedAt: [] }
  const syncWaiters: Waiter[] = []
  const lookupWaiters: Waiter[] = []
  let timer: NodeJS.Timeout | undefined
  // Allowance derived from HubSpot's headers, for when someone else (another
  // process with the same token) uses part of the window.
  let serverAllowance = Number.POSITIVE_INFINITY
  let serverAllowanceUntil = 0
  let pausedUntil = 0
  let closed = false

  function dropExpired (use: SlotUse, at: number): void {
    while (use.completedAt.length > 0 && use.completedAt[0] <= at - options.windowMs) use.completedAt.shift()
  }

  function limitAt (at: number): number {
    const own = options.requestsPerWindow
    return at < serverAllowanceUntil ? Math.max(1, Math.min(own, serverAllowance)) : own
  }

  function viewAt (at: number): BudgetView {
    dropExpired(all, at)
    dropExpired(lookups, at)
    return {
      at,
      windowMs: options.windowMs,
      limit: limitAt(at),
      lookupCap: maxLookups,
      pausedUntil,
      all,
      lookups,
      syncWaiting: syncWaiters.length > 0
    }
  }

  function release (priority: RequestPriority): void {
    const at = now()
    for (const use of priority === 'lookup' ? [all, lookups] : [all]) {
      use.inFlight--
      use.completedAt.push(at)
    }
    pump()
  }

  function grant (waiter: Waiter): void {
    clearTimeout(waiter.deadline)
    for (const use of waiter.priority === 'lookup' ? [all, lookups] : [all]) use.inFlight++
    waiter.grant(onceOnly(() => release(waiter.priority)))
  }

  function pump (): void {
    const at = now()
    for (;;) {
      const queue = syncWaiters.length > 0 ? syncWaiters : lookupWaiters
      if (queue.length === 0 || !mayGrant(queue[0].priority, viewAt(at))) break
      grant(queue.shift() as Waiter)
    }
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    const next = syncWaiters[0] ?? lookupWaiters[0]
    if (next === undefined) return
    // Blocked: wake when a slot may free for the first in line, or when a server hint
    // expires; a release or a new sync call also wakes us.
    const wakeAt = Math.min(nextSlotAt(next.priority, viewAt(at)), serverAllowanceUntil > at ? serverAllowanceUntil : Number.POSITIVE_INFINITY)
    if (Number.isFinite(wakeAt)) timer = setTimeout(pump, Math.max(1, wakeAt - at + 1))
  }

  function refuseLookup (waiter: Waiter): void {
    lookupWaiters.splice(lookupWaiters.indexOf(waiter), 1)
    waiter.refuse(busy(viewAt(now())))
    // The timer may have been set for this waiter alone
    pump()
  }

  function busy (view: BudgetView): HubSpotBusyError {
    const retryAfterMs = lookupRetryAfterMs(view)
    const why = view.lookupCap === 0
      ? 'lookups have no share of the HubSpot budget (HUBSPOT_LOOKUP_SHARE=0)'
      : `no HubSpot request slot for a lookup within ${options.lookupWaitMs} ms (the sync comes first)`
    return new HubSpotBusyError(`${why}; retry in ${retryAfterMs / 1000} s`, retryAfterMs)
  }

  return {
    acquire (priority = 'sync') {
      if (closed) return Promise.reject(new Error('HubSpot client is closed'))
      if (priority === 'lookup' && maxLookups === 0) return Promise.reject(busy(viewAt(now())))
      return new Promise((resolve, reject) => {
        const waiter: Waiter = { priority, grant: resolve, refuse: reject }
        if (priority === 'lookup') {
          waiter.deadline = setTimeout(() => refuseLookup(waiter), options.lookupWaitMs)
          lookupWaiters.push(waiter)
        } else {
          syncWaiters.push(waiter)
        }
        pump()
      })
    },

    observe (serverLimit) {
      const at = now()
      const own = held(viewAt(at).all)
      const serverMaxInOurWindow = Math.floor(serverLimit.max * options.windowMs / serverLimit.intervalMs)
      // HubSpot lets `remaining` more in beside what it already counted; ours in its
      // count are in `own`, so a lower figure means another consumer of the token
      // (the other deployment colour, say) and our allowance shrinks with it.
      const allowance = Math.min(serverMaxInOurWindow, own + serverLimit.remaining)
      serverAllowance = allowance
      serverAllowanceUntil = at + serverLimit.intervalMs
      pump()
    },

    pauseUntil (at) {
      pausedUntil = Math.max(pausedUntil, at)
      pump()
    },

    usage () {
      const view = viewAt(now())
      return { held: held(view.all), limit: view.limit }
    },

    close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      for (const waiter of [...syncWaiters.splice(0), ...lookupWaiters.splice(0)]) {
        clearTimeout(waiter.deadline)
        waiter.refuse(new Error('HubSpot client is closed'))
      }
    }
  }
}

function onceOnly (fn: () => void): () => void {
  let called = false
  return () => {
    if (called) return
    called = true
    fn()
  }
}

/** Reads X-HubSpot-RateLimit-* headers; undefined when absent (search answers carry none). */
export function parseServerRateLimit (headers: Record<string, string | string[] | undefined>): ServerRateLimit | undefined {
  const max = Number(headers['x-hubspot-ratelimit-max'])
  const remaining = Number(headers['x-hubspot-ratelimit-remaining'])
  const intervalMs = Number(headers['x-hubspot-ratelimit-interval-milliseconds'])
  if (headers['x-hubspot-ratelimit-max'] === undefined || headers['x-hubspot-ratelimit-remaining'] === undefined) return undefined
  if (!(max > 0) || !(remaining >= 0) || !(intervalMs > 0)) return undefined
  return { max, remaining, intervalMs }
}

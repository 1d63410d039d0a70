export type RateBudgetOptions = {
  /** Requests the client allows itself per window (HUBSPOT_REQUESTS_PER_10S). */
  requestsPerWindow: number
  /** 10 s in production; tests shrink it. */
  windowMs: number
  now?: () => number
}

/** What HubSpot's X-HubSpot-RateLimit-* headers said about its own window. */
export type ServerRateLimit = {
  max: number
  remaining: number
  intervalMs: number
}

export type RateBudget = {
  /** Resolves when a request may be sent; call the returned function when its answer (or failure) is in. */
  acquire: () => Promise<() => void>
  observe: (serverLimit: ServerRateLimit) => void
  /** Rejects the callers still waiting, so a closed client leaves no pending timer behind. */
  close: () => void
}

/**
 * Sliding window over request completion times. A request occupies a slot from the
 * moment it is sent until windowMs after its answer: HubSpot counts it on arrival,
 * which is never later than the answer, so our window always trails HubSpot's and
 * a budget equal to the HubSpot limit cannot cause a 429.
 */
export function createRateBudget (options: RateBudgetOptions): RateBudget {
  const now = options.now ?? Date.now
  const completedAt: number[] = []
  const waiters: Array<{ grant: (release: () => void) => void, refuse: (error: Error) => void }> = []
  let inFlight = 0
  let timer: NodeJS.Timeout | undefined
  // Allowance derived from HubSpot's headers, for when someone else (another
  // process with the same token) uses part of the window.
  let serverAllowance = Number.POSITIVE_INFINITY
  let serverAllowanceUntil = 0
  let closed = false

  function dropExpired (at: number): void {
    while (completedAt.length > 0 && completedAt[0] <= at - options.windowMs) completedAt.shift()
  }

  function usedAt (at: number): number {
    dropExpired(at)
    return inFlight + completedAt.length
  }

  function limitAt (at: number): number {
    const own = options.requestsPerWindow
    return at < serverAllowanceUntil ? Math.max(1, Math.min(own, serverAllowance)) : own
  }

  function release (): void {
    inFlight--
    completedAt.push(now())
    pump()
  }

  function pump (): void {
    const at = now()
    while (waiters.length > 0 && usedAt(at) < limitAt(at)) {
      inFlight++
      waiters.shift()?.grant(onceOnly(release))
    }
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (waiters.length === 0) return
    // Blocked: wake when the next completed request leaves the window, or when a
    // server hint expires; a release also wakes us.
    const wakeTimes = [serverAllowanceUntil > at ? serverAllowanceUntil : Number.POSITIVE_INFINITY]
    const mustExpire = usedAt(at) - limitAt(at) + 1
    if (mustExpire <= completedAt.length) wakeTimes.push(completedAt[mustExpire - 1] + options.windowMs)
    const wakeAt = Math.min(...wakeTimes)
    if (Number.isFinite(wakeAt)) timer = setTimeout(pump, Math.max(1, wakeAt - at + 1))
  }

  return {
    acquire () {
      if (closed) return Promise.reject(new Error('HubSpot client is closed'))
      return new Promise((grant, refuse) => {
        waiters.push({ grant, refuse })
        pump()
      })
    },

    observe (serverLimit) {
      const at = now()
      const own = usedAt(at)
      const serverMaxInOurWindow = Math.floor(serverLimit.max * options.windowMs / serverLimit.intervalMs)
      // HubSpot lets `remaining` more in beside what it already counted; ours in its
      // count are in `own`, so a lower figure means another consumer of the token
      // (the other deployment colour, say) and our allowance shrinks with it.
      const allowance = Math.min(serverMaxInOurWindow, own + serverLimit.remaining)
      serverAllowance = allowance
      serverAllowanceUntil = at + serverLimit.intervalMs
      pump()
    },

    close () {
      closed = true
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      for (const waiter of waiters.splice(0)) waiter.refuse(new Error('HubSpot client is closed'))
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

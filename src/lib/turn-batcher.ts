/**
 * Gathers the items submitted in one turn of the event loop and runs them as one group, with
 * at most `maxInFlight` groups out at a time; items arriving meanwhile wait for the next group.
 * A hot path then costs one statement per group, not one per request, and never asks the pool
 * for more connections than it has (postgres.js pipelines the surplus onto busy ones).
 */
export interface TurnBatcher<I, O> {
  /** Resolves with the item's result once its group has run; rejects with the group's error. */
  submit: (item: I) => Promise<O>
  /** Takes back an item whose group has not been sent yet (its submit rejects with `reason`); false once it has. */
  withdraw: (item: I, reason: Error) => boolean
}

export interface TurnBatcherOptions {
  maxInFlight: number
  maxGroup: number
  /**
   * With every slot free, how long a group may wait for the callers the last group answered to
   * come back (at most; 0 or absent: never waits). See `flush`.
   */
  lingerMs?: number
}

interface Waiting<I, O> { item: I, resolve: (result: O) => void, reject: (error: Error) => void }

/** `run` answers a group with one result per item, in the items' order. */
export function createTurnBatcher<I, O> (run: (items: I[]) => Promise<O[]>, options: TurnBatcherOptions): TurnBatcher<I, O> {
  let waiting: Array<Waiting<I, O>> = []
  let inFlight = 0
  let flushScheduled = false
  const lingerMs = options.lingerMs ?? 0
  // How many a group waits for while it lingers: the last group and those that queued behind it
  let gatherTarget = 0
  let lingerTimer: NodeJS.Timeout | undefined
  // The last linger ran out before the callers came back (a busy machine): the next group does not wait
  let lingerMissed = false

  // Flushing on each arrival sent a small group whenever a slot was free (about 5 requests a
  // statement under 50 connections, against about 8 when a turn's arrivals go together)
  function scheduleFlush () {
    if (flushScheduled) return
    flushScheduled = true
    setImmediate(() => {
      flushScheduled = false
      flush()
    })
  }

  function lingerOver () {
    lingerTimer = undefined
    gatherTarget = 0
    lingerMissed = true
    flush()
  }

  /**
   * Callers that each wait for their answer and then post again (frontends behind a proxy, a
   * load generator) split, with one group out at a time, into two halves that take turns: the
   * half just answered comes back while the other half is out, so each group held about half of
   * them, and each group costs the database a commit (its WAL flush) whatever its size. With
   * `lingerMs`, once the slot is free, the next group waits, at most that long, until as many
   * callers wait as went in the last group and queued behind it: the two halves merge and one
   * commit serves them all. A lone caller (the last group held one, none queued) never waits.
   */
  function flush () {
    while (waiting.length > 0 && inFlight < options.maxInFlight) {
      if (inFlight === 0 && waiting.length < gatherTarget) {
        lingerTimer ??= setTimeout(lingerOver, lingerMs)
        return
      }
      if (lingerTimer !== undefined) {
        clearTimeout(lingerTimer)
        lingerTimer = undefined
      }
      const group = waiting.length <= options.maxGroup ? waiting : waiting.slice(0, options.maxGroup)
      waiting = group === waiting ? [] : waiting.slice(group.length)
      inFlight++
      // Counted before the answers go out: a caller answered may be back before the slot is free
      const lingerFor = () => {
        if (lingerMs > 0) {
          gatherTarget = lingerMissed ? 0 : Math.min(options.maxGroup, group.length + waiting.length)
          lingerMissed = false
        }
      }
      run(group.map((w) => w.item)).then(
        (results) => {
          lingerFor()
          group.forEach((w, i) => w.resolve(results[i]))
        },
        (error: Error) => {
          lingerFor()
          for (const w of group) w.reject(error)
        }
      ).finally(() => {
        inFlight--
        flush()
      })
    }
  }

  return {
    submit (item) {
      return new Promise<O>((resolve, reject) => {
        waiting.push({ item, resolve, reject })
        scheduleFlush()
      })
    },
    withdraw (item, reason) {
      const at = waiting.findIndex((w) => w.item === item)
      if (at === -1) return false
      const [withdrawn] = waiting.splice(at, 1)
      withdrawn.reject(reason)
      return true
    }
  }
}

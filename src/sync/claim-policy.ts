export interface ClaimPolicyOptions {
  /** Inputs per HubSpot call. */
  batchSize: number
  /** How long a contact waits for later requests for its email to merge into it. */
  lingerMs: number
  /** The wait when nothing is due: a wake-up on a new contact ends it sooner. */
  idlePollMs: number
}

/** What a lane sees of the queue when its turn to claim comes. */
export interface BacklogView {
  /** Contacts due and not claimed, counted up to heavyBacklogSize. */
  due: number
  /** Age of the oldest of them. */
  oldestMs: number
  /** `due` at the last look that found any: fewer or as many now means contacts stopped arriving. */
  lastDue: number
  /** Contacts in batches out at HubSpot. */
  claimedCount: number
}

export type ClaimWait = { claim: false, waitMs: number, idle: boolean }
export type ClaimDecision = { claim: true } | ClaimWait

// A backlog of this many full batches goes at once, lingering or not
const HEAVY_BACKLOG_BATCHES = 3
// A batch still filling goes anyway once its oldest contact has waited this many lingers
const MAX_FILLING_LINGERS = 4
// Never look again sooner: each look is a query
const MIN_WAIT_MS = 10

/** The due count at which the backlog goes at once: no need to count further. */
export function heavyBacklogSize (options: Pick<ClaimPolicyOptions, 'batchSize'>): number {
  return HEAVY_BACKLOG_BATCHES * options.batchSize
}

/**
 * Whether a lane claims a batch now, or how long it waits before it looks again.
 * Every contact lingers before it goes, so that later requests for its email merge into it
 * rather than follow in another batch, unless the backlog is heavy. A partial batch goes
 * once contacts stop arriving (or after MAX_FILLING_LINGERS lingers) and no other batch is
 * out: extra lanes are for a backlog of full batches.
 */
export function decideClaim (backlog: BacklogView, options: ClaimPolicyOptions): ClaimDecision {
  if (backlog.due === 0) return { claim: false, waitMs: options.idlePollMs, idle: true }
  if (backlog.due >= heavyBacklogSize(options)) return { claim: true }
  if (backlog.oldestMs < options.lingerMs) return waitFor(options.lingerMs - backlog.oldestMs)
  if (backlog.due >= options.batchSize) return { claim: true }
  const stillFilling = backlog.due > backlog.lastDue && backlog.oldestMs < MAX_FILLING_LINGERS * options.lingerMs
  if (!stillFilling && backlog.claimedCount === 0) return { claim: true }
  // While batches are out (HubSpot's answer, the rate budget) there is no hurry: look again a linger later
  return waitFor(backlog.claimedCount > 0 ? options.lingerMs : MIN_WAIT_MS)
}

function waitFor (ms: number): ClaimWait {
  return { claim: false, waitMs: Math.max(MIN_WAIT_MS, ms), idle: false }
}

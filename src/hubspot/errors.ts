export type HubSpotErrorKind =
  | 'auth'
  | 'scopes'
  | 'rate_limit'
  | 'validation'
  | 'conflict'
  | 'not_found'
  | 'unavailable'

export type HubSpotErrorDetails = {
  status?: number
  category?: string
  correlationId?: string
  /** Whether sending the same request later can succeed. */
  retryable: boolean
  cause?: unknown
}

export class HubSpotError extends Error {
  readonly kind: HubSpotErrorKind
  readonly status: number | undefined
  readonly category: string | undefined
  readonly correlationId: string | undefined
  readonly retryable: boolean

  constructor (kind: HubSpotErrorKind, message: string, details: HubSpotErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.name = 'HubSpotError'
    this.kind = kind
    this.status = details.status
    this.category = details.category
    this.correlationId = details.correlationId
    this.retryable = details.retryable
  }
}

export class HubSpotAuthError extends HubSpotError {
  /** not_configured: no token, nothing was sent. */
  readonly reason: 'invalid_token' | 'not_configured'

  constructor (message: string, reason: 'invalid_token' | 'not_configured', details: Omit<HubSpotErrorDetails, 'retryable'> = {}) {
    super('auth', message, { ...details, retryable: false })
    this.name = 'HubSpotAuthError'
    this.reason = reason
  }
}

export class HubSpotScopesError extends HubSpotError {
  readonly requiredScopes: string[]

  constructor (message: string, requiredScopes: string[], details: Omit<HubSpotErrorDetails, 'retryable'>) {
    super('scopes', message, { ...details, retryable: false })
    this.name = 'HubSpotScopesError'
    this.requiredScopes = requiredScopes
  }
}

export class HubSpotRateLimitError extends HubSpotError {
  readonly policyName: string | undefined
  /** How long to wait before the next call can succeed. */
  readonly retryAfterMs: number
  /** Set for the DAILY policy: when the daily allowance comes back. */
  readonly resetAt: Date | undefined

  constructor (
    message: string,
    limit: { policyName?: string, retryAfterMs: number, resetAt?: Date },
    details: Omit<HubSpotErrorDetails, 'retryable'>
  ) {
    super('rate_limit', message, { ...details, retryable: true })
    this.name = 'HubSpotRateLimitError'
    this.policyName = limit.policyName
    this.retryAfterMs = limit.retryAfterMs
    this.resetAt = limit.resetAt
  }
}

/** Our own budget had no slot for a lookup in time (the sync comes first): nothing was sent to HubSpot. */
export class HubSpotBusyError extends HubSpotError {
  /** Until a lookup slot frees: whole seconds, at least one. */
  readonly retryAfterMs: number

  constructor (message: string, retryAfterMs: number) {
    super('rate_limit', message, { retryable: true })
    this.name = 'HubSpotBusyError'
    this.retryAfterMs = retryAfterMs
  }
}

export class HubSpotValidationError extends HubSpotError {
  /**
   * Properties the portal does not have (PROPERTY_DOESNT_EXIST), named only inside the message
   * text: every input that sets one of them is refused, whatever else it holds.
   */
  readonly missingProperties: string[]

  constructor (message: string, details: Omit<HubSpotErrorDetails, 'retryable'>) {
    super('validation', message, { ...details, retryable: false })
    this.name = 'HubSpotValidationError'
    const problems = message.match(/\{[^{}]*"error"\s*:\s*"PROPERTY_DOESNT_EXIST"[^{}]*\}/g) ?? []
    this.missingProperties = [...new Set(problems.flatMap((problem) => /"name"\s*:\s*"([^"]+)"/.exec(problem)?.[1] ?? []))]
  }
}

export class HubSpotConflictError extends HubSpotError {
  /** HubSpot names the existing record only inside the message text. */
  readonly existingId: string | undefined

  constructor (message: string, details: Omit<HubSpotErrorDetails, 'retryable'>) {
    super('conflict', message, { ...details, retryable: false })
    this.name = 'HubSpotConflictError'
    this.existingId = /Existing ID:\s*(\d+)/i.exec(message)?.[1]
  }
}

export class HubSpotNotFoundError extends HubSpotError {
  constructor (message: string, details: Omit<HubSpotErrorDetails, 'retryable'>) {
    super('not_found', message, { ...details, retryable: false })
    this.name = 'HubSpotNotFoundError'
  }
}

export class HubSpotUnavailableError extends HubSpotError {
  /** Network error code (ECONNRESET, TIMEOUT…) when no HTTP answer came. */
  readonly networkCode: string | undefined

  constructor (message: string, details: HubSpotErrorDetails & { networkCode?: string }) {
    super('unavailable', message, details)
    this.name = 'HubSpotUnavailableError'
    this.networkCode = details.networkCode
  }
}

// Why HubSpot cannot be used, named alike by /health's state and a connection check's reason
const CONNECTION_FAILURES = ['not_configured', 'unauthorized', 'rate_limited', 'unreachable'] as const

/**
 * The connection to HubSpot as /health shows it: the last call's outcome, 'unknown' before
 * the first. A refused scope is 'forbidden' (HubSpot's 403).
 */
export const HUBSPOT_STATES = ['ok', 'unknown', 'forbidden', ...CONNECTION_FAILURES] as const
export type HubSpotState = (typeof HUBSPOT_STATES)[number]

/** Why a connection check failed. A refused scope is named by what the token lacks. */
export const CONNECTION_FAILURE_REASONS = ['missing_scopes', ...CONNECTION_FAILURES] as const
export type ConnectionFailureReason = (typeof CONNECTION_FAILURE_REASONS)[number]

type FailedState = Exclude<HubSpotState, 'ok' | 'unknown'>

/** The state a failed call leaves the connection in; undefined when HubSpot answered and accepted the token (it refused the input). */
export function stateAfterFailure (error: HubSpotError): FailedState | undefined {
  // No token: nothing was sent, so nothing was refused
  if (error instanceof HubSpotAuthError && error.reason === 'not_configured') return 'not_configured'
  const states: Partial<Record<HubSpotErrorKind, FailedState>> = {
    auth: 'unauthorized',
    scopes: 'forbidden',
    rate_limit: 'rate_limited',
    unavailable: 'unreachable'
  }
  return states[error.kind]
}

/** What a failed call says about the connection to HubSpot; undefined when HubSpot refused the input, not the caller. */
export function connectionFailureReason (error: HubSpotError): ConnectionFailureReason | undefined {
  const state = stateAfterFailure(error)
  return state === 'forbidden' ? 'missing_scopes' : state
}

/** Retry-After for a caller, in whole seconds (at least one), when HubSpot or our own budget said how long to wait. */
export function retryAfterSeconds (error: HubSpotError): number | undefined {
  if (!(error instanceof HubSpotBusyError || error instanceof HubSpotRateLimitError)) return undefined
  return Math.max(1, Math.ceil(error.retryAfterMs / 1000))
}

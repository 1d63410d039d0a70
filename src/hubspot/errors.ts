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

  constructor (message: string, limit: { policyName?: string, retryAfterMs: number, resetAt?: Date }, details: Omit<HubSpotErrorDetails, 'retryable'>) {
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

export type ConnectionFailureReason = 'not_configured' | 'unauthorized' | 'missing_scopes' | 'rate_limited' | 'unreachable'

/** What a failed call says about the connection to HubSpot; undefined when HubSpot refused the input, not the caller. */
export function connectionFailureReason (error: HubSpotError): ConnectionFailureReason | undefined {
  if (error instanceof HubSpotAuthError) return error.reason === 'not_configured' ? 'not_configured' : 'unauthorized'
  const reasons: Partial<Record<HubSpotErrorKind, ConnectionFailureReason>> = { scopes: 'missing_scopes', rate_limit: 'rate_limited', unavailable: 'unreachable' }
  return reasons[error.kind]
}

import {
  HubSpotAuthError, HubSpotConflictError, HubSpotError, HubSpotNotFoundError, HubSpotRateLimitError,
  HubSpotScopesError, HubSpotUnavailableError, HubSpotValidationError
} from './errors.ts'
import { nextUtcMidnight, transientAnswer } from './retry.ts'

/** HubSpot's error body; every field may be missing. */
export type HubSpotErrorBody = {
  status?: string
  message?: string
  correlationId?: string
  category?: string
  subCategory?: string
  policyName?: string
  errors?: Array<{ message?: string, code?: string, context?: Record<string, unknown> }>
  context?: Record<string, unknown>
}

export type ErrorResponse = {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: HubSpotErrorBody
  nowMs: number
  /** Strips the access token from any text that leaves the adapter. */
  redact: (text: string) => string
}

export function errorFromResponse ({ status, headers, body, nowMs, redact }: ErrorResponse): HubSpotError {
  const category = typeof body.category === 'string' ? body.category : undefined
  const details = { status, category, correlationId: typeof body.correlationId === 'string' ? body.correlationId : undefined }
  const bodyMessage = typeof body.message === 'string' ? body.message : 'no message'
  const message = redact(`HubSpot answered ${status}${category === undefined ? '' : ` ${category}`}: ${bodyMessage}`)

  switch (status) {
    case 400: return new HubSpotValidationError(message, details)
    case 401: return new HubSpotAuthError(message, 'invalid_token', details)
    case 403: return new HubSpotScopesError(message, requiredScopes(body), details)
    case 404: return new HubSpotNotFoundError(message, details)
    case 409: return new HubSpotConflictError(message, details)
    case 429: {
      const policyName = typeof body.policyName === 'string' ? body.policyName : undefined
      if (policyName === 'DAILY') {
        const resetAt = nextUtcMidnight(nowMs)
        return new HubSpotRateLimitError(message, { policyName, retryAfterMs: resetAt.getTime() - nowMs, resetAt }, details)
      }
      const retryAfterMs = transientAnswer(status, headers, policyName, nowMs)?.minimumWaitMs ?? 10_000
      return new HubSpotRateLimitError(message, { policyName, retryAfterMs }, details)
    }
  }
  if (status >= 500 || status === 423 || status === 477) {
    // 522/525/526 and unlisted 5xx are edge/origin faults a quick retry does not fix.
    return new HubSpotUnavailableError(message, { ...details, retryable: transientAnswer(status, headers, undefined, nowMs) !== undefined })
  }
  return new HubSpotValidationError(message, details)
}

function requiredScopes (body: HubSpotErrorBody): string[] {
  const scopes = (body.errors ?? []).flatMap((error) => {
    const granular = error.context?.requiredGranularScopes
    return Array.isArray(granular) ? granular.filter((scope): scope is string => typeof scope === 'string') : []
  })
  return [...new Set(scopes)]
}

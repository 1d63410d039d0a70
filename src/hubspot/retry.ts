/** Statuses HubSpot documents as transient: retried with backoff. */
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504, 521, 523, 524])

/** Connection-level failures worth another attempt (the request may not have landed). */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CLOSED'
])

/** HubSpot holds a locked record for about 2 s. */
export const LOCKED_RECORD_WAIT_MS = 2000

const POLICY_WINDOW_MS: Record<string, number> = {
  TEN_SECONDLY_ROLLING: 10_000,
  SECONDLY: 1000
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfterMs (value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined || value.trim() === '') return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}

/**
 * The DAILY allowance comes back at the account's midnight; the account's time
 * zone is not visible through the API, so this uses UTC midnight.
 */
export function nextUtcMidnight (nowMs: number): Date {
  const date = new Date(nowMs)
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1))
}

export type TransientAnswer = {
  /** The least wait HubSpot asks for; backoff may add to it. */
  minimumWaitMs: number
}

/** undefined: not transient, do not retry. */
export function transientAnswer (
  status: number,
  headers: Record<string, string | string[] | undefined>,
  policyName: string | undefined,
  nowMs: number
): TransientAnswer | undefined {
  const retryAfterMs = parseRetryAfterMs(headerValue(headers, 'retry-after'), nowMs)
  if (status === 429) {
    if (policyName === 'DAILY') return undefined
    const intervalMs = Number(headerValue(headers, 'x-hubspot-ratelimit-interval-milliseconds'))
    const windowMs = Number.isFinite(intervalMs) && intervalMs > 0 ? intervalMs : POLICY_WINDOW_MS[policyName ?? ''] ?? 10_000
    return { minimumWaitMs: retryAfterMs ?? windowMs }
  }
  if (status === 423) return { minimumWaitMs: Math.max(LOCKED_RECORD_WAIT_MS, retryAfterMs ?? 0) }
  if (status === 477) return { minimumWaitMs: retryAfterMs ?? 0 }
  if (TRANSIENT_STATUSES.has(status)) return { minimumWaitMs: retryAfterMs ?? 0 }
  return undefined
}

/** The network code when an exception means "no usable answer, try again"; undefined otherwise. */
export function transientNetworkCode (error: unknown, attemptSignal: AbortSignal): string | undefined {
  if (attemptSignal.aborted) return 'TIMEOUT'
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code) ? code : undefined
}

export function headerValue (headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

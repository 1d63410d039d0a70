import { setTimeout as delay } from 'node:timers/promises'
import { Agent, request, type Dispatcher } from 'undici'
import { CONTACTS_API_PATH } from './api-version.ts'
import { buildUpsertBody, upsertOutcomes, type UpsertInput, type UpsertOutcome } from './contacts.ts'
import { errorFromResponse, type HubSpotErrorBody } from './error-from-response.ts'
import {
  HubSpotAuthError, HubSpotBusyError, HubSpotError, HubSpotRateLimitError, HubSpotUnavailableError,
  connectionFailureReason, stateAfterFailure, type ConnectionFailureReason, type HubSpotErrorKind, type HubSpotState
} from './errors.ts'
import { createRateBudget, parseServerRateLimit, type RequestPriority } from './rate-budget.ts'
import { transientAnswer, transientNetworkCode } from './retry.ts'
import { exponentialBackoffMs, type Backoff } from '../lib/backoff.ts'

type LogFn = (fields: Record<string, unknown>, message: string) => void

/** The pino methods the client uses. */
export type HubSpotLogger = { debug: LogFn, info: LogFn, warn: LogFn, error: LogFn }

export type HubSpotClientOptions = {
  baseUrl: string
  /** Private-app token or service key; without it no call is sent. */
  accessToken?: string
  /** Bound on each attempt, headers and body included. */
  timeoutMs: number
  /** Retries of one call after a transient failure. */
  maxRetries: number
  /** The client's own budget per rate window. */
  requestsPer10s: number
  /** The largest share of that budget lookups may take together; 0.2 by default, like HUBSPOT_LOOKUP_SHARE. */
  lookupShare?: number
  /** A lookup that gets no slot within this fails with HubSpotBusyError; 2000 by default. */
  lookupSlotWaitMs?: number
  logger: HubSpotLogger
  /** Defaults to a keep-alive Agent owned (and closed) by the client. */
  dispatcher?: Dispatcher
  /** Length of the budget window: 10 s like HubSpot's; tests shrink it. */
  rateWindowMs?: number
  retryBaseDelayMs?: number
  retryMaxDelayMs?: number
  /** A transient failure asking for a longer wait is raised instead, so the caller can reschedule. */
  maxRetryWaitMs?: number
  random?: () => number
  sleep?: (ms: number) => Promise<void>
  now?: () => number
  /** Told of every attempt sent: the operation, its priority, and HubSpot's status (null: no answer). For metrics. */
  onAttempt?: (attempt: { operation: string, priority: RequestPriority, status: number | null }) => void
}

/** What /health shows about HubSpot. */
export type HubSpotConnectionState = {
  configured: boolean
  state: HubSpotState
  lastSuccessAt: Date | null
  lastError: { at: Date, kind: HubSpotErrorKind, status: number | undefined, message: string } | null
}

export type ConnectionCheck =
  | { ok: true, latencyMs: number }
  | { ok: false, reason: ConnectionFailureReason }

export type ContactRead = { hubspotId: string, properties: Record<string, string | null> }

/**
 * Whose share of the budget a call draws on: 'sync' (the default) may use all of it and
 * goes first; 'lookup' calls (search misses, operator checks) share lookupShare of it and
 * fail with HubSpotBusyError when no slot comes within lookupSlotWaitMs.
 */
export type CallOptions = { priority?: RequestPriority }

export type HubSpotClient = {
  /** ≤ 100 inputs with distinct emails; one outcome per input, in input order. */
  upsertByEmail: (inputs: UpsertInput[], options?: CallOptions) => Promise<UpsertOutcome[]>
  /** null when HubSpot has no contact with that email. */
  readByEmail: (email: string, properties: string[], options?: CallOptions) => Promise<ContactRead | null>
  /** Throws HubSpotBusyError when a lookup got no slot: nothing was sent, so nothing is known of the connection. */
  checkConnection: (options?: CallOptions) => Promise<ConnectionCheck>
  getState: () => HubSpotConnectionState
  /** The rate budget's slots held now, against its limit. */
  budgetUsage: () => { held: number, limit: number }
  close: () => Promise<void>
}

type HubSpotRequest = {
  /** Named in logs instead of the path, which may hold an email address. */
  operation: string
  method: 'GET' | 'POST'
  path: string
  query?: Record<string, string>
  body?: unknown
  maxRetries?: number
  priority: RequestPriority
}

type HubSpotResponse = { status: number, body: unknown }

type AttemptResult =
  | { answered: true, status: number, headers: Record<string, string | string[] | undefined>, text: string }
  | { answered: false, error: unknown, networkCode: string | undefined }

export function createHubSpotClient (options: HubSpotClientOptions): HubSpotClient {
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => delay(ms))
  const random = options.random ?? Math.random
  const maxRetryWaitMs = options.maxRetryWaitMs ?? 60_000
  const lookupSlotWaitMs = options.lookupSlotWaitMs ?? 2000
  const backoff: Backoff = { baseMs: options.retryBaseDelayMs ?? 500, maxMs: options.retryMaxDelayMs ?? 30_000, jitter: 'full' }
  const ownAgent = options.dispatcher === undefined
    ? new Agent({ keepAliveTimeout: 10_000, connect: { timeout: options.timeoutMs } })
    : undefined
  const dispatcher = options.dispatcher ?? ownAgent as Dispatcher
  const budget = createRateBudget({
    requestsPerWindow: options.requestsPer10s,
    windowMs: options.rateWindowMs ?? 10_000,
    lookupShare: options.lookupShare ?? 0.2,
    lookupWaitMs: lookupSlotWaitMs,
    now
  })
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  const token = options.accessToken === undefined || options.accessToken === '' ? undefined : options.accessToken
  const redact = (text: string): string => token === undefined ? text : text.split(token).join('[redacted]')
  const log = options.logger

  let state: HubSpotConnectionState = {
    configured: token !== undefined,
    state: token === undefined ? 'not_configured' : 'unknown',
    lastSuccessAt: null,
    lastError: null
  }

  function updateState (next: Partial<HubSpotConnectionState>): void {
    state = { ...state, ...next }
  }

  function recordFailure (error: HubSpotError): void {
    const lastError = { at: new Date(now()), kind: error.kind, status: error.status, message: error.message }
    const failedState = stateAfterFailure(error)
    // validation / conflict / not found: HubSpot answered and accepted the token.
    if (failedState === undefined) {
      updateState({ state: 'ok', lastSuccessAt: new Date(now()), lastError: error.kind === 'not_found' ? state.lastError : lastError })
    } else {
      updateState({ state: failedState, lastError })
    }
  }

  async function attempt (call: HubSpotRequest, url: string): Promise<AttemptResult> {
    const release = await budget.acquire(call.priority)
    const signal = AbortSignal.timeout(options.timeoutMs)
    try {
      const response = await request(url, {
        dispatcher,
        method: call.method,
        signal,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(call.body === undefined ? {} : { 'content-type': 'application/json' })
        },
        body: call.body === undefined ? undefined : JSON.stringify(call.body)
      })
      // The same signal bounds the body read, so a stalled body cannot hang the call.
      const text = await response.body.text()
      options.onAttempt?.({ operation: call.operation, priority: call.priority, status: response.statusCode })
      return { answered: true, status: response.statusCode, headers: response.headers, text }
    } catch (error) {
      options.onAttempt?.({ operation: call.operation, priority: call.priority, status: null })
      return { answered: false, error, networkCode: transientNetworkCode(error, signal) }
    } finally {
      release()
    }
  }

  async function send (call: HubSpotRequest): Promise<HubSpotResponse> {
    if (token === undefined) throw new HubSpotAuthError('HubSpot access token is not configured; nothing was sent', 'not_configured')
    const query = call.query === undefined ? '' : `?${new URLSearchParams(call.query).toString()}`
    const url = `${baseUrl}${call.path}${query}`
    const maxRetries = call.maxRetries ?? options.maxRetries
    // Someone waits on a lookup: it sleeps no longer before a retry than it may wait for a slot
    const maxWaitMs = call.priority === 'lookup' ? Math.min(maxRetryWaitMs, lookupSlotWaitMs) : maxRetryWaitMs

    for (let retryIndex = 0; ; retryIndex++) {
      const result = await attempt(call, url)
      let failure: HubSpotError
      let minimumWaitMs: number | undefined

      if (result.answered) {
        const serverLimit = parseServerRateLimit(result.headers)
        if (serverLimit !== undefined) budget.observe(serverLimit)
        const body = parseJson(result.text)
        if (result.status >= 200 && result.status < 300) {
          updateState({ state: 'ok', lastSuccessAt: new Date(now()) })
          return { status: result.status, body }
        }
        const errorBody = (typeof body === 'object' && body !== null ? body : {}) as HubSpotErrorBody
        failure = errorFromResponse({ status: result.status, headers: result.headers, body: errorBody, nowMs: now(), redact })
        // HubSpot counts the account, not the call: every call of the process waits the 429 out
        if (failure instanceof HubSpotRateLimitError) budget.pauseUntil(now() + failure.retryAfterMs)
        minimumWaitMs = transientAnswer(result.status, result.headers, errorBody.policyName, now())?.minimumWaitMs
      } else {
        const reason = result.error instanceof Error ? result.error.message : String(result.error)
        const code = result.networkCode ?? (result.error as { code?: string } | null)?.code
        failure = new HubSpotUnavailableError(redact(`HubSpot unreachable (${code ?? 'unknown error'}): ${reason}`), {
          retryable: result.networkCode !== undefined,
          networkCode: code,
          cause: result.error
        })
        minimumWaitMs = result.networkCode === undefined ? undefined : 0
      }

      const waitMs = minimumWaitMs === undefined ? undefined : Math.max(minimumWaitMs, exponentialBackoffMs(retryIndex, backoff, random))
      const logFields = {
        operation: call.operation,
        attempt: retryIndex + 1,
        status: failure.status,
        category: failure.category,
        correlationId: failure.correlationId,
        kind: failure.kind
      }
      if (waitMs === undefined || retryIndex >= maxRetries || waitMs > maxWaitMs) {
        recordFailure(failure)
        log.warn({ ...logFields, retryable: failure.retryable }, `HubSpot call failed: ${failure.message}`)
        throw failure
      }
      log.info({ ...logFields, waitMs: Math.round(waitMs) }, `HubSpot call failed transiently, retrying: ${failure.message}`)
      await sleep(waitMs)
    }
  }

  return {
    async upsertByEmail (inputs, { priority = 'sync' } = {}) {
      if (inputs.length === 0) return []
      const body = buildUpsertBody(inputs)
      const response = await send({ operation: 'upsertByEmail', method: 'POST', path: `${CONTACTS_API_PATH}/batch/upsert`, body, priority })
      return upsertOutcomes(inputs, response.body as Parameters<typeof upsertOutcomes>[1], redact)
    },

    async readByEmail (email, properties, { priority = 'sync' } = {}) {
      try {
        const response = await send({
          operation: 'readByEmail',
          method: 'GET',
          path: `${CONTACTS_API_PATH}/${encodeURIComponent(email)}`,
          query: { idProperty: 'email', ...(properties.length === 0 ? {} : { properties: properties.join(',') }) },
          priority
        })
        const contact = response.body as { id: string, properties?: Record<string, string | null> }
        return { hubspotId: contact.id, properties: contact.properties ?? {} }
      } catch (error) {
        if (error instanceof HubSpotError && error.kind === 'not_found') return null
        throw error
      }
    },

    async checkConnection ({ priority = 'sync' } = {}) {
      if (token === undefined) return { ok: false, reason: 'not_configured' }
      const startedAt = now()
      try {
        // One attempt: the check reports the present, retries would only delay it.
        await send({ operation: 'checkConnection', method: 'GET', path: CONTACTS_API_PATH, query: { limit: '1' }, maxRetries: 0, priority })
        return { ok: true, latencyMs: now() - startedAt }
      } catch (error) {
        if (!(error instanceof HubSpotError) || error instanceof HubSpotBusyError) throw error
        return { ok: false, reason: connectionFailureReason(error) ?? 'unreachable' }
      }
    },

    getState () {
      return state
    },

    budgetUsage: () => budget.usage(),

    async close () {
      budget.close()
      // A request still out (HubSpot hanging) must not hold the shutdown: whoever sent it has given up on it
      await ownAgent?.destroy()
    }
  }
}

function parseJson (text: string): unknown {
  if (text === '') return {}
  try {
    return JSON.parse(text)
  } catch {
    // HTML error pages from the edge: no structured detail to keep.
    return {}
  }
}

import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as delay } from 'node:timers/promises'
import { CONTACTS_API_PATH } from '../hubspot/api-version.ts'
import { createContactStore, KNOWN_CONTACT_PROPERTIES, type SimulatedContact } from './contact-store.ts'
import type { RequestBodyCheck, SchemaViolation } from './openapi-check.ts'

export const READ_SCOPE = 'crm.objects.contacts.read'
export const WRITE_SCOPE = 'crm.objects.contacts.write'

/** One failure mode at a time: for `count` requests, for `forMs` from the first request it answers, or until cleared. */
export type SimulatorFailure = { count?: number, forMs?: number } & (
  | { mode: 'status', status: number, retryAfterSeconds?: number }
  | { mode: 'reset' }
  | { mode: 'hang' }
  | { mode: 'rate_limit_storm', policyName?: 'TEN_SECONDLY_ROLLING' | 'SECONDLY' | 'DAILY', retryAfterSeconds?: number }
)

export type SimulatorFaults = {
  /** Added before every HubSpot answer. */
  latencyMs: number
  failure: SimulatorFailure | null
  /** The configured token answers 401 while revoked. */
  tokenRevoked: boolean
  /** Upsert inputs with these emails fail one by one inside a 207 answer. */
  upsertRejectEmails: string[]
}

export type SimulatorStats = {
  requests: number
  /** Keyed "METHOD /path/{template}". */
  requestsByRoute: Record<string, number>
  /** 429s sent, storms included. */
  rateLimited: number
  searchCalls: number
}

export type HubSpotSimulatorOptions = {
  port?: number
  host?: string
  accessToken: string
  /** Granted scopes; both contact scopes by default. */
  scopes?: string[]
  /** HubSpot's rolling burst window (100 per 10 s on Free/Starter). */
  rateLimit?: { max: number, intervalMs: number }
  dailyLimit?: number
  searchPerSecond?: number
  /** HubSpot's OpenAPI document: when given, every request body is checked against it. */
  openApiSpecPath?: string | URL
}

export type HubSpotSimulator = {
  url: string
  contacts: () => SimulatedContact[]
  findContactByEmail: (email: string) => SimulatedContact | undefined
  stats: () => SimulatorStats
  /** Request bodies that did not match the OpenAPI spec; a test expects it empty. */
  schemaViolations: () => SchemaViolation[]
  faults: () => SimulatorFaults
  setFaults: (faults: Partial<SimulatorFaults>) => void
  clearFaults: () => void
  setToken: (token: string) => void
  revokeToken: () => void
  restoreToken: () => void
  setScopes: (scopes: string[]) => void
  /** Creates a custom contact property in the portal, as an admin does in HubSpot's settings (kept across reset). */
  createProperty: (name: string) => void
  /** Forgets contacts, counters, violations, faults and rate windows. */
  reset: () => void
  close: () => Promise<void>
}

type Answer = { status: number, body: unknown, headers?: Record<string, string> }

const CONTROL_PREFIX = '/__simulator'
const SEARCH_PATH = `${CONTACTS_API_PATH}/search`
const UPSERT_PATH = `${CONTACTS_API_PATH}/batch/upsert`
const SYSTEM_PROPERTIES = ['createdate', 'lastmodifieddate', 'hs_object_id']
const DEFAULT_READ_PROPERTIES = ['email', 'firstname', 'lastname']
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

function noFaults (): SimulatorFaults {
  return { latencyMs: 0, failure: null, tokenRevoked: false, upsertRejectEmails: [] }
}

function noStats (): SimulatorStats {
  return { requests: 0, requestsByRoute: {}, rateLimited: 0, searchCalls: 0 }
}

function errorBody (category: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { status: 'error', message, correlationId: randomUUID(), category, ...extra }
}

export async function startHubSpotSimulator (options: HubSpotSimulatorOptions): Promise<HubSpotSimulator> {
  const rateLimit = options.rateLimit ?? { max: 100, intervalMs: 10_000 }
  const dailyLimit = options.dailyLimit ?? 250_000
  const searchPerSecond = options.searchPerSecond ?? 5
  // Loaded only with a spec: ajv is a dev dependency, and compose runs the simulator spec-less from the production-only app image
  const checkBody: RequestBodyCheck | undefined = options.openApiSpecPath === undefined
    ? undefined
    : await (await import('./openapi-check.ts')).loadRequestBodyCheck(options.openApiSpecPath)
  const store = createContactStore()
  let token = options.accessToken
  let scopes = new Set(options.scopes ?? [READ_SCOPE, WRITE_SCOPE])
  let faults = noFaults()
  // When a failure with forMs ends: set by the first request it answers
  let failureEndsAt: number | undefined
  let stats = noStats()
  let violations: SchemaViolation[] = []
  let windowRequests: number[] = []
  let searchRequests: number[] = []
  let dailyUsed = 0
  const customProperties = new Set<string>()

  function rateHeaders (): Record<string, string> {
    return {
      'X-HubSpot-RateLimit-Max': String(rateLimit.max),
      'X-HubSpot-RateLimit-Remaining': String(Math.max(0, rateLimit.max - windowRequests.length)),
      'X-HubSpot-RateLimit-Interval-Milliseconds': String(rateLimit.intervalMs),
      'X-HubSpot-RateLimit-Daily': String(dailyLimit),
      'X-HubSpot-RateLimit-Daily-Remaining': String(Math.max(0, dailyLimit - dailyUsed))
    }
  }

  function rateLimited (policyName: string, headers: Record<string, string>): Answer {
    stats.rateLimited++
    const message = policyName === 'DAILY' ? 'You have reached your daily limit.' : `You have reached your ${policyName.toLowerCase()} limit.`
    return { status: 429, headers, body: { status: 'error', message, errorType: 'RATE_LIMIT', correlationId: randomUUID(), policyName } }
  }

  /** Rolling window per HubSpot: requests over the limit are refused and not counted. */
  function admit (isSearch: boolean): Answer | Record<string, string> {
    const at = Date.now()
    if (isSearch) {
      searchRequests = searchRequests.filter((time) => time > at - 1000)
      if (searchRequests.length >= searchPerSecond) return rateLimited('SECONDLY', {})
      searchRequests.push(at)
      return {}
    }
    windowRequests = windowRequests.filter((time) => time > at - rateLimit.intervalMs)
    if (dailyUsed >= dailyLimit) return rateLimited('DAILY', rateHeaders())
    if (windowRequests.length >= rateLimit.max) return rateLimited('TEN_SECONDLY_ROLLING', rateHeaders())
    windowRequests.push(at)
    dailyUsed++
    return rateHeaders()
  }

  function contactJson (contact: SimulatedContact, propertyNames: string[] | undefined): Record<string, unknown> {
    const names = propertyNames ?? Object.keys(contact.properties)
    const properties: Record<string, string | null> = {}
    for (const name of [...names, ...SYSTEM_PROPERTIES]) properties[name] = contact.properties[name] ?? null
    properties.createdate = contact.createdAt
    properties.lastmodifieddate = contact.updatedAt
    properties.hs_object_id = contact.id
    return { id: contact.id, properties, createdAt: contact.createdAt, updatedAt: contact.updatedAt, archived: false }
  }

  /** HubSpot's "Property values were not valid" error, or undefined when all are fine. */
  function invalidProperties (email: string, properties: Record<string, unknown>): Answer | undefined {
    const problems: Array<Record<string, unknown>> = []
    // HubSpot also rejects well-formed addresses at domains that cannot exist; the reserved TLD .invalid stands for them
    if (!EMAIL_PATTERN.test(email) || email.endsWith('.invalid')) {
      problems.push({ isValid: false, message: `Email address ${email} is invalid`, error: 'INVALID_EMAIL', name: 'email' })
    }
    for (const name of Object.keys(properties)) {
      if (!KNOWN_CONTACT_PROPERTIES.has(name) && !customProperties.has(name)) {
        problems.push({ isValid: false, message: `Property "${name}" does not exist`, error: 'PROPERTY_DOESNT_EXIST', name })
      }
    }
    if (problems.length === 0) return undefined
    // Like HubSpot, the offending input is named only inside the message text.
    return { status: 400, body: errorBody('VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(problems)} (input id: ${email})`) }
  }

  function batchUpsert (body: { inputs?: Array<{ id?: string, idProperty?: string, properties?: Record<string, string> }> }): Answer {
    const inputs = Array.isArray(body.inputs) ? body.inputs : []
    if (inputs.length > 100) return { status: 400, body: errorBody('VALIDATION_ERROR', `Batch input size ${inputs.length} exceeds the limit of 100`) }
    const seen = new Set<string>()
    for (const input of inputs) {
      if (input.idProperty !== 'email' || typeof input.id !== 'string') {
        return { status: 400, body: errorBody('VALIDATION_ERROR', 'The simulator upserts by idProperty "email" only') }
      }
      const key = input.id.toLowerCase()
      if (seen.has(key)) {
        return { status: 400, body: errorBody('VALIDATION_ERROR', `Duplicate IDs found in batch input: [${input.id}]. IDs must be unique`) }
      }
      seen.add(key)
    }
    for (const input of inputs) {
      const invalid = invalidProperties(input.id as string, input.properties ?? {})
      if (invalid !== undefined) return invalid
      const email = input.properties?.email
      if (email !== undefined && email.toLowerCase() !== (input.id as string).toLowerCase()) {
        return { status: 400, body: errorBody('VALIDATION_ERROR', `Property email ${email} differs from id ${input.id}`) }
      }
    }
    const startedAt = new Date().toISOString()
    const rejected = new Set(faults.upsertRejectEmails.map((email) => email.toLowerCase()))
    const results: unknown[] = []
    const errors: unknown[] = []
    for (const input of inputs) {
      const email = input.id as string
      if (rejected.has(email.toLowerCase())) {
        errors.push({
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: `Property values were not valid for ${email}`,
          context: { ids: [email] },
          errors: [],
          links: {}
        })
        continue
      }
      const { contact, created } = store.upsert(email, input.properties ?? {})
      results.push({ ...contactJson(contact, Object.keys(input.properties ?? {})), new: created })
    }
    const completedAt = new Date().toISOString()
    if (errors.length > 0) return { status: 207, body: { status: 'COMPLETE', results, errors, numErrors: errors.length, startedAt, completedAt } }
    return { status: 200, body: { status: 'COMPLETE', results, startedAt, completedAt } }
  }

  function create (body: { properties?: Record<string, string> }): Answer {
    const properties = body.properties ?? {}
    const email = properties.email ?? ''
    const invalid = invalidProperties(email, properties)
    if (invalid !== undefined) return invalid
    const existing = store.findByEmail(email)
    if (existing !== undefined) return { status: 409, body: errorBody('CONFLICT', `Contact already exists. Existing ID: ${existing.id}`) }
    return { status: 201, body: contactJson(store.upsert(email, properties).contact, undefined) }
  }

  function search (body: { filterGroups?: Array<{ filters?: Array<{ propertyName?: string, operator?: string, value?: string }> }> }): Answer {
    stats.searchCalls++
    const filters = (body.filterGroups ?? []).flatMap((group) => group.filters ?? [])
    const emails = filters.filter((filter) => filter.propertyName === 'email' && filter.operator === 'EQ' && typeof filter.value === 'string')
    const results = emails.map((filter) => store.findByEmail(filter.value as string)).filter((contact) => contact !== undefined)
    return { status: 200, body: { total: results.length, results: results.map((contact) => contactJson(contact, DEFAULT_READ_PROPERTIES)) } }
  }

  function readOne (id: string, query: URLSearchParams): Answer {
    const contact = query.get('idProperty') === 'email' ? store.findByEmail(id) : store.findById(id)
    if (contact === undefined) return { status: 404, body: errorBody('OBJECT_NOT_FOUND', 'Object not found.  objectId are usually numeric.') }
    const requested = query.get('properties')
    return { status: 200, body: contactJson(contact, requested === null ? DEFAULT_READ_PROPERTIES : requested.split(',').filter(Boolean)) }
  }

  function list (query: URLSearchParams): Answer {
    const limit = Math.min(100, Number(query.get('limit') ?? 10) || 10)
    return { status: 200, body: { results: store.list().slice(0, limit).map((contact) => contactJson(contact, DEFAULT_READ_PROPERTIES)) } }
  }

  /** Route template, required scope and handler for a HubSpot call; undefined when unknown. */
  function route (
    method: string,
    path: string
  ): { template: string, scope: string, handle: (body: any, query: URLSearchParams) => Answer } | undefined {
    if (path === CONTACTS_API_PATH && method === 'GET') return { template: path, scope: READ_SCOPE, handle: (_body, query) => list(query) }
    if (path === CONTACTS_API_PATH && method === 'POST') return { template: path, scope: WRITE_SCOPE, handle: create }
    if (path === UPSERT_PATH && method === 'POST') return { template: path, scope: WRITE_SCOPE, handle: batchUpsert }
    if (path === SEARCH_PATH && method === 'POST') return { template: path, scope: READ_SCOPE, handle: search }
    const id = path.startsWith(`${CONTACTS_API_PATH}/`) ? path.slice(CONTACTS_API_PATH.length + 1) : ''
    if (method === 'GET' && id !== '' && !id.includes('/')) {
      return { template: `${CONTACTS_API_PATH}/{contactId}`, scope: READ_SCOPE, handle: (_body, query) => readOne(decodeURIComponent(id), query) }
    }
    return undefined
  }

  function consumeFailure (): SimulatorFailure | undefined {
    const failure = faults.failure
    if (failure === null) return undefined
    if (failure.forMs !== undefined) {
      failureEndsAt ??= Date.now() + failure.forMs
      if (Date.now() >= failureEndsAt) {
        faults = { ...faults, failure: null }
        return undefined
      }
    }
    if (failure.count !== undefined) {
      if (failure.count <= 1) faults = { ...faults, failure: null }
      else faults = { ...faults, failure: { ...failure, count: failure.count - 1 } }
    }
    return failure
  }

  async function answerHubSpotCall (request: IncomingMessage, response: ServerResponse, url: URL, rawBody: string): Promise<void> {
    const method = request.method ?? 'GET'
    const matched = route(method, url.pathname)
    stats.requests++
    const routeKey = `${method} ${matched?.template ?? url.pathname}`
    stats.requestsByRoute[routeKey] = (stats.requestsByRoute[routeKey] ?? 0) + 1

    let body: unknown
    if (rawBody !== '') {
      try {
        body = JSON.parse(rawBody)
      } catch {
        return send(response, { status: 400, body: errorBody('VALIDATION_ERROR', 'Invalid input JSON') })
      }
      const violation = checkBody?.(method, url.pathname, body)
      if (violation !== undefined) {
        violations.push(violation)
        return send(response, {
          status: 400,
          body: errorBody(
            'VALIDATION_ERROR',
            `[simulator] request body does not match the OpenAPI schema: ${violation.errors.join('; ')}`,
            { subCategory: 'SIMULATOR_SCHEMA_VIOLATION' }
          )
        })
      }
    }

    if (faults.latencyMs > 0) await delay(faults.latencyMs)
    const failure = consumeFailure()
    if (failure?.mode === 'reset') {
      request.socket.destroy()
      return
    }
    if (failure?.mode === 'hang') return
    if (failure?.mode === 'status') {
      const headers: Record<string, string> = failure.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(failure.retryAfterSeconds) }
      return send(response, { status: failure.status, headers, body: errorBody('SIMULATED_FAULT', `Simulated ${failure.status}`) })
    }
    if (failure?.mode === 'rate_limit_storm') {
      const answer = rateLimited(failure.policyName ?? 'TEN_SECONDLY_ROLLING', rateHeaders())
      if (failure.retryAfterSeconds !== undefined) answer.headers = { ...answer.headers, 'Retry-After': String(failure.retryAfterSeconds) }
      return send(response, answer)
    }

    if (faults.tokenRevoked || request.headers.authorization !== `Bearer ${token}`) {
      return send(response, { status: 401, body: errorBody('INVALID_AUTHENTICATION', 'Authentication credentials not found or invalid.') })
    }
    const admitted = admit(url.pathname === SEARCH_PATH && method === 'POST')
    if ('status' in admitted) return send(response, admitted as Answer)
    const headers = admitted as Record<string, string>

    if (matched === undefined) {
      return send(response, { status: 404, headers, body: errorBody('OBJECT_NOT_FOUND', `No HubSpot call at ${method} ${url.pathname}`) })
    }
    if (!scopes.has(matched.scope)) {
      return send(response, {
        status: 403,
        headers,
        body: errorBody('MISSING_SCOPES', "This app hasn't been granted all required scopes to make this call.", {
          errors: [{ message: 'One or more of the following scopes are required.', context: { requiredGranularScopes: [matched.scope] } }]
        })
      })
    }
    const answer = matched.handle(body ?? {}, url.searchParams)
    send(response, { ...answer, headers: { ...headers, ...answer.headers } })
  }

  function answerControlCall (request: IncomingMessage, response: ServerResponse, path: string, rawBody: string): void {
    const method = request.method ?? 'GET'
    if (method === 'GET' && path === `${CONTROL_PREFIX}/state`) {
      return send(response, { status: 200, body: { faults, stats, schemaViolations: violations, contactCount: store.list().length } })
    }
    if (method === 'GET' && path === `${CONTROL_PREFIX}/contacts`) return send(response, { status: 200, body: store.list() })
    if (method === 'POST' && path === `${CONTROL_PREFIX}/faults`) {
      simulator.setFaults(JSON.parse(rawBody === '' ? '{}' : rawBody) as Partial<SimulatorFaults>)
      return send(response, { status: 200, body: faults })
    }
    if (method === 'DELETE' && path === `${CONTROL_PREFIX}/faults`) {
      simulator.clearFaults()
      return send(response, { status: 200, body: faults })
    }
    if (method === 'POST' && path === `${CONTROL_PREFIX}/reset`) {
      simulator.reset()
      return send(response, { status: 200, body: { reset: true } })
    }
    send(response, { status: 404, body: { message: `No simulator control at ${method} ${path}` } })
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://simulator')
      const rawBody = Buffer.concat(chunks).toString('utf8')
      try {
        if (url.pathname.startsWith(CONTROL_PREFIX)) answerControlCall(request, response, url.pathname, rawBody)
        else answerHubSpotCall(request, response, url, rawBody).catch((error: unknown) => fail(response, error))
      } catch (error) {
        fail(response, error)
      }
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address() as AddressInfo
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address

  const simulator: HubSpotSimulator = {
    url: `http://${host}:${address.port}`,
    contacts: () => store.list(),
    findContactByEmail: (email) => store.findByEmail(email),
    stats: () => stats,
    schemaViolations: () => violations,
    faults: () => faults,
    setFaults (next) {
      if (next.failure !== undefined) failureEndsAt = undefined
      faults = { ...faults, ...next }
    },
    clearFaults () {
      failureEndsAt = undefined
      faults = noFaults()
    },
    setToken (next) {
      token = next
    },
    revokeToken () {
      faults = { ...faults, tokenRevoked: true }
    },
    restoreToken () {
      faults = { ...faults, tokenRevoked: false }
    },
    setScopes (next) {
      scopes = new Set(next)
    },
    createProperty (name) {
      customProperties.add(name)
    },
    reset () {
      store.clear()
      failureEndsAt = undefined
      faults = noFaults()
      stats = noStats()
      violations = []
      windowRequests = []
      searchRequests = []
      dailyUsed = 0
    },
    async close () {
      // Hung requests would otherwise keep the server open forever.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeAllConnections()
      await closed
    }
  }
  return simulator
}

function send (response: ServerResponse, answer: Answer): void {
  if (response.destroyed) return
  response.writeHead(answer.status, { 'content-type': 'application/json;charset=utf-8', ...answer.headers })
  response.end(JSON.stringify(answer.body))
}

function fail (response: ServerResponse, error: unknown): void {
  send(response, { status: 500, body: errorBody('SIMULATOR_ERROR', error instanceof Error ? error.message : String(error)) })
}

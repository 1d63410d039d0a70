// Request bodies and answer mapping for the contact operations, kept free of I/O.
import { HubSpotConflictError, HubSpotNotFoundError, HubSpotUnavailableError, HubSpotValidationError, type HubSpotError } from './errors.ts'

/** HubSpot caps every batch call at 100 inputs. */
export const MAX_BATCH_INPUTS = 100

export type PropertyValue = string | number | boolean | null

export type UpsertInput = {
  email: string
  properties: Record<string, PropertyValue>
}

export type UpsertOutcome =
  | { email: string, ok: true, hubspotId: string, created: boolean }
  | { email: string, ok: false, error: HubSpotError }

/** Body of POST …/batch/upsert (schema BatchInputSimplePublicObjectBatchInputUpsert). */
export type UpsertBody = {
  inputs: Array<{ id: string, idProperty: 'email', properties: Record<string, string> }>
}

export function buildUpsertBody (inputs: UpsertInput[]): UpsertBody {
  if (inputs.length > MAX_BATCH_INPUTS) throw new RangeError(`batch upsert takes at most ${MAX_BATCH_INPUTS} inputs, got ${inputs.length}`)
  const seen = new Set<string>()
  for (const input of inputs) {
    const key = input.email.toLowerCase()
    // HubSpot rejects the whole batch when two inputs resolve to one email: callers merge first.
    if (seen.has(key)) throw new RangeError(`two upsert inputs share one email (${input.email}); merge them before sending`)
    seen.add(key)
  }
  return {
    inputs: inputs.map((input) => ({
      id: input.email,
      idProperty: 'email',
      // email also goes in properties so a created contact carries it and the
      // answer's properties.email maps each result back to its input.
      properties: { ...toWireProperties(input.properties), email: input.email }
    }))
  }
}

/** HubSpot types every property value as a string; "" clears a property. */
export function toWireProperties (properties: Record<string, PropertyValue>): Record<string, string> {
  const wire: Record<string, string> = {}
  for (const [name, value] of Object.entries(properties)) {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new RangeError(`property ${name} is not a finite number`)
    wire[name] = value === null ? '' : String(value)
  }
  return wire
}

type UpsertAnswer = {
  results?: Array<{ id?: unknown, new?: unknown, properties?: Record<string, unknown> }>
  errors?: Array<{ status?: unknown, category?: unknown, message?: unknown, context?: Record<string, unknown> }>
}

/** One outcome per input, in input order, from a 200 or 207 answer. */
export function upsertOutcomes (inputs: UpsertInput[], answer: UpsertAnswer, redact: (text: string) => string): UpsertOutcome[] {
  const outcomes = new Map<string, UpsertOutcome>()
  const byEmail = new Map(inputs.map((input) => [input.email.toLowerCase(), input.email]))

  for (const result of answer.results ?? []) {
    const email = result.properties?.email
    if (typeof email !== 'string' || typeof result.id !== 'string') continue
    const inputEmail = byEmail.get(email.toLowerCase())
    if (inputEmail === undefined) continue
    outcomes.set(inputEmail.toLowerCase(), { email: inputEmail, ok: true, hubspotId: result.id, created: result.new === true })
  }

  const unmatchedErrors: HubSpotError[] = []
  for (const item of answer.errors ?? []) {
    const error = batchItemError(item, redact)
    const named = inputs.filter((input) => errorNamesEmail(item, input.email))
    if (named.length === 0) unmatchedErrors.push(error)
    for (const input of named) {
      if (!outcomes.has(input.email.toLowerCase())) outcomes.set(input.email.toLowerCase(), { email: input.email, ok: false, error })
    }
  }

  return inputs.map((input) => outcomes.get(input.email.toLowerCase()) ?? {
    email: input.email,
    ok: false,
    error: unmatchedErrors[0] ?? new HubSpotUnavailableError('HubSpot returned no result for this input', { retryable: true })
  })
}

function errorNamesEmail (item: NonNullable<UpsertAnswer['errors']>[number], email: string): boolean {
  const needle = email.toLowerCase()
  const contextValues = Object.values(item.context ?? {}).flatMap((value) => Array.isArray(value) ? value : [value])
  if (contextValues.some((value) => typeof value === 'string' && value.toLowerCase() === needle)) return true
  return typeof item.message === 'string' && item.message.toLowerCase().includes(needle)
}

function batchItemError (item: NonNullable<UpsertAnswer['errors']>[number], redact: (text: string) => string): HubSpotError {
  const status = Number(item.status)
  const category = typeof item.category === 'string' ? item.category : undefined
  const details = { status: Number.isFinite(status) ? status : undefined, category }
  const itemMessage = typeof item.message === 'string' ? item.message : 'no message'
  const message = redact(`HubSpot rejected this input${category === undefined ? '' : ` (${category})`}: ${itemMessage}`)
  if (status >= 500) return new HubSpotUnavailableError(message, { ...details, retryable: true })
  if (category === 'CONFLICT') return new HubSpotConflictError(message, details)
  if (category === 'OBJECT_NOT_FOUND') return new HubSpotNotFoundError(message, details)
  return new HubSpotValidationError(message, details)
}

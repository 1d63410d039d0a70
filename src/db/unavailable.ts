import { within } from '../lib/waiting.ts'

/** The database could not be reached or did not answer in time: the caller should retry later (503). */
export class DatabaseUnavailableError extends Error {
  name = 'DatabaseUnavailableError'
}

/** A request held a value PostgreSQL cannot store (SQLSTATE class 22): that request's fault alone (400). */
export class UnstorableValueError extends Error {
  name = 'UnstorableValueError'
  statusCode = 400
}

// postgres.js's connection errors, Node's socket errors, a cancelled statement (statement_timeout)
// and a denied permission (the operator's grants, not the request)
const UNAVAILABLE_CODES = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57014', '42501'
])
// SQLSTATE classes: connection exception, insufficient resources, invalid authorization,
// invalid catalog name (no such database), operator intervention (shutdown, crash)
const UNAVAILABLE_CLASSES = ['08', '53', '28', '3D', '57P']

/** Whether an error says the database is away or refuses the service, rather than that the statement or its data is wrong. */
export function isDatabaseUnavailable (error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.some((prefix) => code.startsWith(prefix)))
}

const DEADLOCK = '40P01'
const SERIALIZATION_FAILURE = '40001'

/** Whether the statement lost a deadlock or a serialization conflict: the same statement may well succeed again. */
export function isRetryableConflict (error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return code === DEADLOCK || code === SERIALIZATION_FAILURE
}

/** Whether PostgreSQL refused the data of a statement (class 22: an invalid character, a value out of range). */
export function isDataError (error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && code.startsWith('22')
}

/**
 * A read's result within ms; DatabaseUnavailableError when the database is away or does not
 * answer in time (a hung connection would otherwise hold the caller for minutes).
 * `onTimeout` takes back whatever the read left waiting.
 */
export async function readWithin<T> (read: Promise<T>, ms: number, onTimeout?: (error: DatabaseUnavailableError) => void): Promise<T> {
  let result: T | false
  try {
    result = await within(read, ms)
  } catch (error) {
    if (isDatabaseUnavailable(error)) throw new DatabaseUnavailableError(`the database could not be read: ${(error as Error).message}`)
    throw error
  }
  if (result === false) {
    const error = new DatabaseUnavailableError(`the database did not answer within ${ms} ms`)
    onTimeout?.(error)
    throw error
  }
  return result
}

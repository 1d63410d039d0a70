import { within } from '../sync/waiting.ts'

/** The database could not be reached or did not answer in time: the caller should retry later (503). */
export class DatabaseUnavailableError extends Error {
  name = 'DatabaseUnavailableError'
}

// postgres.js's connection errors, Node's socket errors, and PostgreSQL's shutdown,
// too-many-connections and cancelled-statement codes (class 08, connection exceptions, below)
const UNAVAILABLE_CODES = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', '57014'
])

/** Whether an error says the database is away, rather than that the statement is wrong. */
export function isDatabaseUnavailable (error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code
  return typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))
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

import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

// A caller's id is kept when it is short and plain: it lands in every log line of the request
const PLAIN_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/

/** The caller's `X-Request-ID` (from NGINX, or a frontend) when it is plain, else a fresh UUID. */
export function requestId (request: IncomingMessage): string {
  const given = request.headers['x-request-id']
  return typeof given === 'string' && PLAIN_REQUEST_ID.test(given) ? given : randomUUID()
}

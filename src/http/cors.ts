import type { FastifyInstance } from 'fastify'
import cors from '@fastify/cors'

const CONTACTS_PATH = '/v1/contacts'

/**
 * Browser pages of the listed origins may POST contacts: the preflight is answered for them and
 * the reply carries their origin; every other origin, and every other route, gets no CORS headers.
 */
export async function allowBrowserIntake (app: FastifyInstance, origins: string[]): Promise<void> {
  if (origins.length === 0) return
  const listed = new Set(origins)
  await app.register(cors, {
    delegator (request, callback) {
      const path = request.url?.split('?', 1)[0]
      const origin = request.headers.origin
      callback(null, {
        origin: path === CONTACTS_PATH && origin !== undefined && listed.has(origin) ? origin : false,
        methods: ['POST'],
        allowedHeaders: ['authorization', 'content-type', 'prefer', 'idempotency-key'],
        exposedHeaders: ['location', 'retry-after', 'x-request-id', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset'],
        maxAge: 600
      })
    }
  })
}

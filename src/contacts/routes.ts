import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import type { Intake } from './intake.ts'
import { DatabaseUnavailableError, readWithin } from '../db/unavailable.ts'
import { findRequest, type RequestState } from './requests-table.ts'
import { normalizeEmail } from './normalize.ts'
import { waitForSync } from './wait-for-sync.ts'
import type { ContactView } from './search.ts'
import type { SyncEvents } from '../sync/events.ts'
import { HubSpotError } from '../hubspot/errors.ts'
import {
  ContactReply, ErrorReply, FailedReply, MAX_WAIT_SECONDS, QueuedReply, RequestReply, SearchQuery, SyncedReply, contactBody
} from './schemas.ts'

export interface ContactRoutesOptions {
  intake: Intake
  events: SyncEvents
  findContact: (email: string) => Promise<ContactView | null>
  /** A status read the database has not answered within this is a 503. */
  readDeadlineMs: number
}

// How soon a client should retry when the database is away
const RETRY_AFTER_SECONDS = 5
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** `Prefer: wait=N` → N seconds (at most 30), or 0. */
export function preferredWaitSeconds (prefer: string | undefined): number {
  const match = /(?:^|[,;\s])wait\s*=\s*(\d+)/i.exec(prefer ?? '')
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : 0
}

/** 503 with Retry-After: nothing was done, the caller should retry later. */
function serviceUnavailable (reply: FastifyReply, message: string) {
  reply.header('retry-after', String(RETRY_AFTER_SECONDS))
  return reply.code(503).send({ statusCode: 503, error: 'Service Unavailable', message })
}

function requestReply (state: RequestState) {
  return {
    id: state.id,
    status: state.status,
    email: state.email,
    attempts: state.attempts,
    ...(state.hubspotId === null ? {} : { hubspotId: state.hubspotId }),
    ...(state.created === null ? {} : { created: state.created }),
    ...(state.error === null ? {} : { error: state.error }),
    createdAt: state.createdAt.toISOString(),
    ...(state.syncedAt === null ? {} : { syncedAt: state.syncedAt.toISOString() })
  }
}

const contactRoutes: FastifyPluginAsync<ContactRoutesOptions> = async (app, { intake, events, findContact, readDeadlineMs }) => {
  const readRequest = (id: string) => readWithin(findRequest(app.sql, id), readDeadlineMs)
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>()

  // The contract trims and lower-cases emails; doing it before validation accepts " Ada@Example.com "
  fastify.addHook('preValidation', async (request) => {
    const body = request.body as { email?: unknown } | undefined
    if (body && typeof body === 'object' && typeof body.email === 'string') body.email = normalizeEmail(body.email)
    const query = request.query as { email?: unknown } | undefined
    if (query && typeof query.email === 'string') query.email = normalizeEmail(query.email)
  })

  fastify.post('/contacts', {
    schema: {
      summary: 'Upsert a contact by email: stored durably, synced to HubSpot in the background',
      headers: Type.Object({ prefer: Type.Optional(Type.String()) }),
      body: contactBody(fastify.config.contactProperties),
      response: { 200: SyncedReply, 202: QueuedReply, 400: ErrorReply, 422: FailedReply, 503: ErrorReply }
    }
  }, async (request, reply) => {
    const { email, properties = {} } = request.body
    if (properties.email !== undefined && normalizeEmail(String(properties.email)) !== email) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'properties.email differs from email' })
    }
    const { email: _sameEmail, ...writable } = properties
    const id = randomUUID()
    try {
      await intake.accept({ id, email, properties: writable })
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error
      request.log.error({ err: error }, 'contact not stored: database unavailable')
      return serviceUnavailable(reply, 'The contact was not stored: the database is unavailable; retry later')
    }
    events.queued()
    reply.header('location', `/v1/contacts/requests/${id}`)

    const waitSeconds = preferredWaitSeconds(request.headers.prefer)
    if (waitSeconds > 0) {
      const state = await waitForSync(events, email, () => readRequest(id), waitSeconds * 1000).catch(() => undefined)
      if (state?.status === 'synced') {
        return reply.code(200).send({ id, status: 'synced' as const, email, hubspotId: state.hubspotId!, created: state.created ?? false })
      }
      if (state?.status === 'failed') {
        return reply.code(422).send({ statusCode: 422, error: 'Unprocessable Entity', message: state.error ?? 'HubSpot rejected the contact', id, status: 'failed' as const, email })
      }
    }
    return reply.code(202).send({ id, status: 'queued' as const, email })
  })

  fastify.get('/contacts/requests/:id', {
    schema: {
      summary: 'What became of an upsert',
      params: Type.Object({ id: Type.String() }),
      response: { 200: RequestReply, 404: ErrorReply, 503: ErrorReply }
    }
  }, async (request, reply) => {
    let state: RequestState | undefined
    try {
      state = UUID.test(request.params.id) ? await readRequest(request.params.id) : undefined
    } catch (error) {
      if (!(error instanceof DatabaseUnavailableError)) throw error
      request.log.error({ err: error }, 'request status not read: database unavailable')
      return serviceUnavailable(reply, 'The request status could not be read: the database is unavailable; retry later')
    }
    if (!state) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such request' })
    return requestReply(state)
  })

  fastify.get('/contacts', {
    schema: {
      summary: 'Find a contact by email',
      querystring: SearchQuery,
      response: { 200: ContactReply, 404: ErrorReply, 503: ErrorReply }
    }
  }, async (request, reply) => {
    let contact: ContactView | null
    try {
      contact = await findContact(request.query.email)
    } catch (error) {
      if (error instanceof DatabaseUnavailableError) {
        request.log.error({ err: error }, 'contact not searched: database unavailable')
        return serviceUnavailable(reply, 'The contact could not be searched: the database is unavailable; retry later')
      }
      if (!(error instanceof HubSpotError)) throw error
      request.log.warn({ err: error }, 'contact lookup failed')
      return serviceUnavailable(reply, `HubSpot could not be asked: ${error.message}`)
    }
    if (!contact) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'Neither the service nor HubSpot knows this email' })
    return contact
  })
}

export default contactRoutes

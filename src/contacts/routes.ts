import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { UnstorableValueError } from '../db/unavailable.ts'
import type { ListCursor, RequestState } from '../store/requests-table.ts'
import { normalizeEmail } from '../lib/email.ts'
import { ErrorReply } from '../http/schemas.ts'
import { waitForSync } from './wait-for-sync.ts'
import { uuidV7 } from '../lib/uuid-v7.ts'
import {
  BulkReplayBody, ContactReply, FailedReply, ListQuery, MAX_WAIT_SECONDS, QueuedReply, RequestList, RequestReply, SearchQuery,
  SyncedReply, contactBody
} from './schemas.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** `Prefer: wait=N` → N seconds (at most 30), or 0. */
function preferredWaitSeconds (prefer: string | undefined): number {
  const match = /(?:^|[,;\s])wait\s*=\s*(\d+)/i.exec(prefer ?? '')
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : 0
}

/**
 * The first property whose value PostgreSQL cannot store (a NUL character, an unpaired
 * surrogate): refused here, so that it never reaches a group commit shared with other callers.
 */
function unstorableProperty (properties: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(properties)) {
    if (typeof value === 'string' && (value.includes('\u0000') || !value.isWellFormed())) return name
  }
  return undefined
}

const DEFAULT_PAGE = 100
const MAX_PAGE = 500

/** A page's end as an opaque token, and back; undefined for one the service did not write. */
function encodeCursor (cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt, cursor.id])).toString('base64url')
}
function decodeCursor (token: string): ListCursor | undefined {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(token, 'base64url').toString()) as unknown[]
    if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt)) || typeof id !== 'string' || !UUID.test(id)) return undefined
    return { createdAt, id }
  } catch {
    return undefined
  }
}

function badRequest (message: string) {
  return { statusCode: 400, error: 'Bad Request', message }
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
    ...(state.replayedAs === null ? {} : { replayedAs: state.replayedAs }),
    createdAt: state.createdAt.toISOString(),
    ...(state.syncedAt === null ? {} : { syncedAt: state.syncedAt.toISOString() })
  }
}

const contactRoutes: FastifyPluginAsync = async (app) => {
  const { intake, idempotentIntake, findContact, readRequest, listRequests, replay } = app.contacts
  const events = app.syncEvents
  const observe = app.observations
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>()

  // The contract trims and lower-cases emails; doing it before validation accepts " Ada@Example.com "
  fastify.addHook('preValidation', (request, _reply, done) => {
    const body = request.body as { email?: unknown } | undefined
    if (body && typeof body === 'object' && typeof body.email === 'string') body.email = normalizeEmail(body.email)
    const query = request.query as { email?: unknown } | undefined
    if (query && typeof query.email === 'string') query.email = normalizeEmail(query.email)
    done()
  })

  fastify.post('/contacts', {
    config: { scope: 'intake' },
    schema: {
      summary: 'Upsert a contact by email: stored durably, synced to HubSpot in the background',
      headers: Type.Object({
        prefer: Type.Optional(Type.String()),
        'idempotency-key': Type.Optional(Type.String({
          minLength: 1,
          maxLength: 255,
          pattern: '^[\\x21-\\x7E]+$',
          description: '1–255 visible ASCII characters'
        }))
      }),
      body: contactBody(fastify.config.contactProperties),
      // 422: HubSpot rejected the contact (Prefer: wait), or the Idempotency-Key was used with another body
      response: { 200: SyncedReply, 202: QueuedReply, 400: ErrorReply, 422: Type.Union([FailedReply, ErrorReply]), 503: ErrorReply }
    }
  }, async (request, reply) => {
    const { email, properties = {} } = request.body
    if (properties.email !== undefined && normalizeEmail(String(properties.email)) !== email) {
      return reply.code(400).send({ statusCode: 400, error: 'Bad Request', message: 'properties.email differs from email' })
    }
    const unstorable = unstorableProperty(properties)
    if (unstorable !== undefined) {
      throw new UnstorableValueError(
        `body/properties/${unstorable} holds a character PostgreSQL cannot store (a NUL character or an unpaired surrogate)`
      )
    }
    const { email: _sameEmail, ...writable } = properties
    let id: string = uuidV7()
    const idempotencyKey = request.headers['idempotency-key']
    if (idempotencyKey === undefined) {
      await intake.accept({ id, email, properties: writable })
      events.queued()
      observe.accepted()
    } else {
      // A replay answers as the first post did, by the first post's id
      const accepted = await idempotentIntake.accept({ id, email, properties: writable }, { keyId: request.caller!.keyId, key: idempotencyKey })
      if (!accepted.replay) {
        events.queued()
        observe.accepted()
      }
      id = accepted.id
    }
    reply.header('location', `/v1/contacts/requests/${id}`)

    const waitSeconds = preferredWaitSeconds(request.headers.prefer)
    if (waitSeconds > 0) {
      const state = await waitForSync(events, email, () => readRequest(id), waitSeconds * 1000).catch(() => undefined)
      if (state?.status === 'synced') {
        return reply.code(200).send({ id, status: 'synced' as const, email, hubspotId: state.hubspotId!, created: state.created ?? false })
      }
      if (state?.status === 'failed') {
        return reply.code(422).send({
          statusCode: 422,
          error: 'Unprocessable Entity',
          message: state.error ?? 'HubSpot rejected the contact',
          id,
          status: 'failed' as const,
          email
        })
      }
    }
    return reply.code(202).send({ id, status: 'queued' as const, email })
  })

  fastify.get('/contacts/requests/:id', {
    config: { scope: 'read' },
    schema: {
      summary: 'What became of an upsert',
      params: Type.Object({ id: Type.String() }),
      response: { 200: RequestReply, 404: ErrorReply, 503: ErrorReply }
    }
  }, async (request, reply) => {
    const state = UUID.test(request.params.id) ? await readRequest(request.params.id) : undefined
    if (!state) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such request' })
    return requestReply(state)
  })

  fastify.get('/contacts/requests', {
    config: { scope: 'read' },
    schema: {
      summary: 'Failed (or replayed) requests, newest first, a page at a time',
      querystring: ListQuery,
      response: { 200: RequestList, 400: ErrorReply, 503: ErrorReply }
    }
  }, async (request, reply) => {
    const { status, limit = String(DEFAULT_PAGE), cursor } = request.query
    const after = cursor === undefined ? undefined : decodeCursor(cursor)
    if (cursor !== undefined && after === undefined) return reply.code(400).send(badRequest('querystring/cursor is not a cursor this service gave'))
    if (Number(limit) > MAX_PAGE) return reply.code(400).send(badRequest(`querystring/limit must be at most ${MAX_PAGE}`))
    const page = await listRequests({ status, limit: Number(limit), after })
    return { items: page.items.map(requestReply), nextCursor: page.next === null ? null : encodeCursor(page.next) }
  })

  fastify.post('/contacts/requests/:id/retry', {
    config: { scope: 'admin' },
    schema: {
      summary: 'Send a failed request again, as a new request, without the properties later requests for the email have set',
      params: Type.Object({ id: Type.String() }),
      response: { 202: QueuedReply, 404: ErrorReply, 409: ErrorReply, 503: ErrorReply }
    }
  }, async (request, reply) => {
    const outcome = UUID.test(request.params.id) ? await replay.replayOne(request.params.id) : { unknown: true as const }
    if ('unknown' in outcome) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such request' })
    if ('refused' in outcome) {
      const { id, status, replayedAs } = outcome.refused
      const message = status === 'replayed'
        ? `Request ${id} was already replayed as ${replayedAs}`
        : `Request ${id} is ${status}: only failed requests are replayed`
      return reply.code(409).send({ statusCode: 409, error: 'Conflict', message })
    }
    const { id, email } = outcome.replayed
    return reply.code(202).header('location', `/v1/contacts/requests/${id}`).send({ id, status: 'queued' as const, email })
  })

  fastify.post('/contacts/requests/retry', {
    config: { scope: 'admin' },
    schema: {
      summary: 'Send every matching failed request again (see the single retry)',
      body: BulkReplayBody,
      response: { 200: Type.Object({ replayed: Type.Integer({ minimum: 0 }) }), 400: ErrorReply, 503: ErrorReply }
    }
  }, async (request) => {
    const { errorContains, since } = request.body
    return { replayed: await replay.replayMatching({ errorContains, since: since === undefined ? undefined : new Date(since) }) }
  })

  fastify.get('/contacts', {
    config: { scope: 'read' },
    schema: {
      summary: 'Find a contact by email',
      querystring: SearchQuery,
      response: { 200: ContactReply, 404: ErrorReply, 503: ErrorReply }
    }
  }, async (request, reply) => {
    const contact = await findContact(request.query.email)
    if (!contact) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'Neither the service nor HubSpot knows this email' })
    return contact
  })
}

export default contactRoutes

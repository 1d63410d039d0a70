import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { CONNECTION_FAILURE_REASONS, HubSpotBusyError, HubSpotError, connectionFailureReason, retryAfterSeconds } from '../hubspot/errors.ts'
import { ErrorReply } from '../http/schemas.ts'
import { normalizeEmail } from '../lib/email.ts'

const CheckFailed = Type.Object({
  ok: Type.Literal(false),
  reason: Type.Enum([...CONNECTION_FAILURE_REASONS, 'rejected']),
  message: Type.Optional(Type.String())
})

/** 503 for a check that failed; Retry-After when HubSpot (a 429) or our own budget said how long to wait. */
function checkFailed (reply: FastifyReply, error: HubSpotError) {
  const waitSeconds = retryAfterSeconds(error)
  if (waitSeconds !== undefined) reply.header('retry-after', String(waitSeconds))
  // 'rejected': not the connection, HubSpot refused this input
  return reply.code(503).send({ ok: false as const, reason: connectionFailureReason(error) ?? 'rejected', message: error.message })
}

/** Connectivity checks for operators and the post-deploy smoke test: lookups, so they never hold up the sync. */
const hubspotRoutes: FastifyPluginAsync = async (app) => {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>()

  fastify.get('/hubspot/test', {
    schema: {
      summary: 'One cheap authenticated call to HubSpot',
      response: { 200: Type.Object({ ok: Type.Literal(true), latencyMs: Type.Number() }), 503: CheckFailed }
    }
  }, async (_request, reply) => {
    try {
      const check = await fastify.hubspot.checkConnection({ priority: 'lookup' })
      return check.ok ? check : reply.code(503).send(check)
    } catch (error) {
      if (!(error instanceof HubSpotBusyError)) throw error
      return checkFailed(reply, error)
    }
  })

  fastify.post('/hubspot/test', {
    schema: {
      summary: 'Upsert one contact straight through HubSpot (not the queue)',
      body: Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ ok: Type.Literal(true), hubspotId: Type.String(), created: Type.Boolean(), latencyMs: Type.Number() }),
        400: ErrorReply,
        503: CheckFailed
      }
    }
  }, async (request, reply) => {
    const started = performance.now()
    const email = normalizeEmail(request.body.email)
    try {
      const [outcome] = await fastify.hubspot.upsertByEmail([{ email, properties: {} }], { priority: 'lookup' })
      if (!outcome.ok) throw outcome.error
      return { ok: true as const, hubspotId: outcome.hubspotId, created: outcome.created, latencyMs: Math.round(performance.now() - started) }
    } catch (error) {
      if (!(error instanceof HubSpotError)) throw error
      return checkFailed(reply, error)
    }
  })
}

export default hubspotRoutes

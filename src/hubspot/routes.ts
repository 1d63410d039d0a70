import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { HubSpotError, connectionFailureReason } from './errors.ts'
import { ErrorReply } from '../contacts/schemas.ts'
import { normalizeEmail } from '../contacts/normalize.ts'

const CheckFailed = Type.Object({
  ok: Type.Literal(false),
  reason: Type.Union([
    Type.Literal('not_configured'), Type.Literal('unauthorized'), Type.Literal('missing_scopes'),
    Type.Literal('unreachable'), Type.Literal('rate_limited'), Type.Literal('rejected')
  ]),
  message: Type.Optional(Type.String())
})

/** Connectivity checks for operators and the post-deploy smoke test. */
const hubspotRoutes: FastifyPluginAsync = async (app) => {
  const fastify = app.withTypeProvider<TypeBoxTypeProvider>()

  fastify.get('/hubspot/test', {
    schema: {
      summary: 'One cheap authenticated call to HubSpot',
      response: { 200: Type.Object({ ok: Type.Literal(true), latencyMs: Type.Number() }), 503: CheckFailed }
    }
  }, async (_request, reply) => {
    const check = await fastify.hubspot.checkConnection()
    return check.ok ? check : reply.code(503).send(check)
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
      const [outcome] = await fastify.hubspot.upsertByEmail([{ email, properties: {} }])
      if (!outcome.ok) throw outcome.error
      return { ok: true as const, hubspotId: outcome.hubspotId, created: outcome.created, latencyMs: Math.round(performance.now() - started) }
    } catch (error) {
      if (!(error instanceof HubSpotError)) throw error
      // 'rejected': not the connection, HubSpot refused this input
      const reason = connectionFailureReason(error) ?? 'rejected'
      return reply.code(503).send({ ok: false as const, reason, message: error.message })
    }
  })
}

export default hubspotRoutes

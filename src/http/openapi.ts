import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import { Type } from 'typebox'
import { ErrorReply } from './schemas.ts'

const { version, description } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string
  description: string
}

const KEYED_ROUTE = /^\/(?:v1|api)\//

/**
 * The OpenAPI 3 document, built from the route schemas as routes register (so this comes
 * before them), on GET /docs/openapi.json. A route with a scope (its `config.scope`) needs a key.
 */
export default fp(async function openapi (fastify) {
  await fastify.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'contact-sync', version, description },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A key of API_KEYS, with the scope the route names' } }
      }
    },
    // Answers that come from the layers around a route rather than from its handler: the keys
    // (401, 403), the rate limit (429) and validation and the body parser (400, 413, 415)
    transform ({ schema, url, route }) {
      if (schema === undefined) return { schema, url }
      // Routes under /v1 and /api without a scope of their own need admin (src/auth/api-keys.ts)
      const scope = (route.config as { scope?: string } | undefined)?.scope ?? (KEYED_ROUTE.test(url) ? 'admin' : undefined)
      const response = { ...(schema.response as Record<string, unknown> | undefined) }
      const add = (codes: number[]) => { for (const code of codes) response[code] ??= ErrorReply }
      if (schema.body !== undefined || schema.querystring !== undefined) add([400])
      if (schema.body !== undefined) add([413, 415])
      if (scope === undefined) return { schema: { ...schema, response }, url }
      add([401, 403, 429])
      return { schema: { ...schema, response, security: [{ apiKey: [] }], description: `Needs a key with the ${scope} scope (or wider).` }, url }
    }
  })

  fastify.get('/docs/openapi.json', {
    logLevel: 'warn',
    schema: { summary: 'This document', tags: ['operations'], response: { 200: Type.Object({}, { additionalProperties: true }) } }
  }, async () => fastify.swagger())
}, { name: 'openapi' })

// What a user would build instead of contact-sync: a Fastify app that validates the post as the
// service does (same body schema, email normalized), writes it to a store of its own and answers
// 202 after the write. Each peer is its own process, like the service; prints its port on stdout.
import { randomUUID } from 'node:crypto'
import Fastify from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { EnvSchema } from '../../src/config/schema.ts'
import { contactBody } from '../../src/contacts/schemas.ts'
import type { PropertyValue } from '../../src/hubspot/contacts.ts'
import { normalizeEmail } from '../../src/lib/email.ts'

export type PeerContact = { id: string, email: string, properties: Record<string, PropertyValue> }

export interface PeerStore {
  /** Resolves once the contact is written (committed, or acknowledged by Redis). */
  write: (contact: PeerContact) => Promise<void>
  /** How many contacts the store holds: the bench checks every 2xx against it. */
  count: () => Promise<number>
  close: () => Promise<void>
}

const PROPERTIES = String((EnvSchema.properties.CONTACT_PROPERTIES as { default?: string }).default).split(',')

export async function servePeer (store: PeerStore): Promise<void> {
  // The service's validator settings: union types in the property values
  const app = Fastify({ ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false, allowUnionTypes: true } } })
    .withTypeProvider<TypeBoxTypeProvider>()
  app.post('/v1/contacts', { schema: { body: contactBody(PROPERTIES) } }, async (request, reply) => {
    const id = randomUUID()
    const email = normalizeEmail(request.body.email)
    await store.write({ id, email, properties: request.body.properties ?? {} })
    return reply.code(202).send({ id, status: 'queued', email })
  })
  app.get('/stored', async () => ({ stored: await store.count() }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`)
  process.once('SIGTERM', () => {
    app.close().then(() => store.close()).then(() => process.exit(0), (error: unknown) => {
      process.stderr.write(`${String(error)}\n`)
      process.exit(1)
    })
  })
}

export function requiredEnv (name: string): string {
  const value = process.env[name]
  if (value === undefined) throw new Error(`${name} is not set`)
  return value
}

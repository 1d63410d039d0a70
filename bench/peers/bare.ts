// The baseline: Fastify with its defaults answering the service's two hot routes with fixed
// bodies, no database. Run as its own process, like the service, so both compete with the load
// generator on equal terms; prints its port on stdout.
import Fastify from 'fastify'

const QUEUED = { id: '00000000-0000-4000-8000-000000000000', status: 'queued', email: 'ada@example.com' }
const CONTACT = { email: 'ada@example.com', hubspotId: '1001', properties: { email: 'ada@example.com', firstname: 'Ada' }, syncStatus: 'synced' }

const app = Fastify()
app.post('/v1/contacts', async (_request, reply) => reply.code(202).send(QUEUED))
app.get('/v1/contacts', async () => CONTACT)
await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`${JSON.stringify({ port: (app.server.address() as { port: number }).port })}\n`)
process.once('SIGTERM', () => { app.close().then(() => process.exit(0), () => process.exit(1)) })

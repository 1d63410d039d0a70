import fp from 'fastify-plugin'

declare module 'fastify' {
  interface FastifyInstance {
    /** Set as the close begins, before in-flight requests drain: readiness turns 503 at once. */
    shuttingDown: boolean
  }
}

/**
 * Registered before everything else, so that its preClose runs first. From then on every
 * response carries Connection: close: a keep-alive client sends its next request on a new
 * connection, which another instance takes (or is refused), never on this one as it closes.
 */
export default fp(async function shutdown (fastify) {
  fastify.decorate('shuttingDown', false)
  fastify.addHook('preClose', async () => { fastify.shuttingDown = true })
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (fastify.shuttingDown) reply.header('connection', 'close')
    done(null, payload)
  })
}, { name: 'shutdown' })

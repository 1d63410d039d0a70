import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

/**
 * Per-request lines at debug: two info lines per request cost about a third of the intake's
 * CPU (bench/, LOG_LEVEL=info), and 10,870 bad posts wrote 14 MB of stacks in 5 s. What an
 * operator must see, a 5xx, is logged at error by the error handler (src/http/error-handler.ts).
 */
export class QuietRequestLogController extends LogController {
  incomingRequest (request: FastifyRequest): void {
    request.log.debug({ req: request }, 'incoming request')
  }

  requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) super.requestCompleted(error, request, reply)
    else reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed')
  }

  routeNotFound (request: FastifyRequest): void {
    request.log.debug({ method: request.method }, 'route not found')
  }
}

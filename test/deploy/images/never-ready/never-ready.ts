// Preloaded into a test image built on the release: every GET /health/ready answers 503, as a
// release that cannot reach what it needs would. Everything else is the release itself.
import http from 'node:http'

const emit = http.Server.prototype.emit
http.Server.prototype.emit = function (this: http.Server, event: string, ...args: unknown[]) {
  if (event === 'request') {
    const [request, response] = args as [http.IncomingMessage, http.ServerResponse]
    if (request.url === '/health/ready') {
      response.writeHead(503, { 'content-type': 'application/json' }).end('{"status":"not_ready"}')
      return true
    }
  }
  return emit.call(this, event, ...args)
} as typeof emit

// Preloaded into a test image built on the release: one request under /v1/ in FAULT_EVERY (default
// 50, i.e. 2 %) answers 500, far over the deploy's 0.1 % error-rate gate. Health and the HubSpot
// check are untouched, so the release passes every check before the switch.
import http from 'node:http'

const every = Number(process.env.FAULT_EVERY ?? 50)
let seen = 0
const emit = http.Server.prototype.emit
http.Server.prototype.emit = function (this: http.Server, event: string, ...args: unknown[]) {
  if (event === 'request') {
    const [request, response] = args as [http.IncomingMessage, http.ServerResponse]
    if (request.url?.startsWith('/v1/') && ++seen % every === 0) {
      response.writeHead(500, { 'content-type': 'application/json' })
        .end('{"statusCode":500,"error":"Internal Server Error","message":"injected fault (test image)"}')
      return true
    }
  }
  return emit.call(this, event, ...args)
} as typeof emit

// What nginx decides on its own, with the repository's nginx.conf run by a real nginx in front of
// a stand-in color: GET /metrics is never served through it, GET /status only to the internal
// network (the contract's "Operating it"); DOMAIN names the server and its certificate. No
// database or Docker needed.
import { spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { connect } from 'node:tls'
import { test, type Test } from 'tap'
import { Agent, request } from 'undici'
import { temporaryDirectory } from '../helpers/database.ts'
import { NGINX, baseEnv, prepareEdge } from './helpers/stack.ts'

/** A stand-in color: every path answers 200 naming itself, as /metrics and /status do on the service port. */
async function standInColor (t: Test): Promise<string> {
  const server: Server = createServer((incoming, response) => {
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ servedBy: 'color', path: incoming.url }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return `127.0.0.1:${(server.address() as { port: number }).port}`
}

/**
 * nginx in front of the stand-in. `clientAddressFromHeader`: the internal-network check reads the
 * client address from X-Test-Client-Address instead of the connection (a test only connects from
 * loopback), so that any address can be tried; the rest of the configuration is the repository's.
 */
async function startEdge (t: Test, clientAddressFromHeader: boolean, domain?: string) {
  const dir = await temporaryDirectory(t, 'contact-sync-nginx-')
  const color = await standInColor(t)
  const edge = await prepareEdge(dir, {
    domain,
    editConfig: (config) => {
      if (!clientAddressFromHeader) return config
      const edited = config.replace('geo $contact_sync_internal {', 'geo $http_x_test_client_address $contact_sync_internal {')
      if (edited === config) throw new Error('deploy/nginx/nginx.conf no longer has "geo $contact_sync_internal {"')
      return edited
    }
  })
  await edge.start(t, { ...baseEnv(), ENV_FILE: '/nonexistent', UPSTREAM_BLUE: color, UPSTREAM_GREEN: color })
  const agent = new Agent({ connect: { rejectUnauthorized: false } })
  t.teardown(() => agent.close())
  const get = async (path: string, clientAddress?: string) => {
    const response = await request(`${edge.httpsUrl}${path}`, { dispatcher: agent, headers: clientAddress === undefined ? {} : { 'x-test-client-address': clientAddress } })
    return { status: response.statusCode, body: await response.body.text() }
  }
  const deadline = Date.now() + 10_000
  while ((await get('/health').catch(() => ({ status: 0 }))).status !== 200) {
    if (Date.now() > deadline) throw new Error(`nginx did not answer: ${edge.output().slice(-2000)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { get, edge, dir }
}

/** The subject's common name of the certificate nginx presents at `url`. */
async function presentedCertificateName (url: string): Promise<string> {
  const { hostname, port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      resolve(String(socket.getPeerCertificate().subject.CN))
      socket.end()
    })
    socket.on('error', reject)
  })
}

/**
 * The server_name lines of the configuration nginx runs (nginx -T prints each file once, includes
 * too: both servers include the one server-name.conf). Into a file: nginx opens /dev/stdout for its
 * access log, which a pipe cannot be.
 */
function serverNames (dir: string, args: string[]): string[] {
  const dump = join(dir, 'nginx-T.txt')
  const fd = openSync(dump, 'w')
  spawnSync(NGINX!, [...args, '-T'], { stdio: ['ignore', fd, fd] })
  closeSync(fd)
  return [...readFileSync(dump, 'utf8').matchAll(/^\s*server_name (.*);$/gm)].map((match) => match[1])
}

const missing = NGINX === undefined ? 'needs nginx (apt-get install -y nginx-light; .ci/run installs it)' : false

test('GET /metrics is never served through nginx; other paths are', { skip: missing }, async (t) => {
  const edge = await startEdge(t, false)
  for (const path of ['/metrics', '/metrics?format=json', '/metrics/', '//metrics', '/%6detrics']) {
    const answer = await edge.get(path)
    t.equal(answer.status, 404, `${path}: 404`)
    t.notMatch(answer.body, 'servedBy', `${path}: never reaches the color`)
    t.match(JSON.parse(answer.body), { statusCode: 404, error: 'Not Found' }, `${path}: in the service's error shape`)
  }
  for (const path of ['/health', '/v1/contacts?email=a@example.com', '/docs/openapi.json']) {
    t.match(await edge.get(path), { status: 200, body: /"servedBy":"color"/ }, `${path} is passed on`)
  }
})

test('GET /status: served to loopback (nginx as configured)', { skip: missing }, async (t) => {
  const edge = await startEdge(t, false)
  t.match(await edge.get('/status'), { status: 200, body: /"servedBy":"color"/ }, 'from 127.0.0.1: passed on')
})

test('GET /status: served to loopback and private ranges only, a 404 for every other address', { skip: missing }, async (t) => {
  const edge = await startEdge(t, true)
  for (const address of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '10.255.255.254', '172.16.0.1', '172.31.255.254', '172.30.42.1',
    '192.168.0.1', '192.168.255.254', '::1', 'fd00::1', 'fc12:3456::1']) {
    t.match(await edge.get('/status', address), { status: 200, body: /"servedBy":"color"/ }, `${address}: passed on`)
  }
  for (const address of ['203.0.113.7', '8.8.8.8', '172.15.255.255', '172.32.0.1', '192.169.0.1', '11.0.0.1', '100.64.0.1',
    '169.254.1.1', '2001:db8::1', 'fe80::1', '']) {
    const answer = await edge.get('/status', address)
    t.equal(answer.status, 404, `${address || '(no address)'}: 404`)
    t.notMatch(answer.body, 'servedBy', `${address || '(no address)'}: never reaches the color`)
  }
  for (const path of ['/status?refresh=1', '/status/']) {
    t.equal((await edge.get(path, '203.0.113.7')).status, 404, `${path} from outside: 404 too`)
  }
  t.match(await edge.get('/health', '203.0.113.7'), { status: 200 }, 'other paths are served to every address')
})

test('DOMAIN: server_name and the certificate of deploy/certs/<DOMAIN>/; unset, server_name _ and deploy/certs/', { skip: missing }, async (t) => {
  const plain = await startEdge(t, false)
  t.same(serverNames(plain.dir, plain.edge.nginxArgs), ['_'], 'without DOMAIN: server_name _')
  t.equal(await presentedCertificateName(plain.edge.httpsUrl), 'localhost', 'the certificate of deploy/certs/fullchain.pem')

  const named = await startEdge(t, false, 'contacts.example.test')
  t.same(serverNames(named.dir, named.edge.nginxArgs), ['contacts.example.test'], 'with DOMAIN: server_name DOMAIN')
  t.equal(await presentedCertificateName(named.edge.httpsUrl), 'contacts.example.test', 'the certificate of deploy/certs/contacts.example.test/fullchain.pem')
  t.match(await named.get('/health'), { status: 200 }, 'and it serves')
})

import { test } from 'tap'
import { buildTestApp } from '../helpers/app.ts'

// Every route of the contract (../shared/CONTRACT.md) with the status codes it names
const CONTRACT: Record<string, Record<string, number[]>> = {
  '/v1/contacts': { post: [200, 202, 400, 401, 403, 413, 415, 422, 429, 503], get: [200, 400, 401, 403, 404, 429, 503] },
  '/v1/contacts/requests/{id}': { get: [200, 401, 403, 404, 503] },
  '/v1/contacts/requests': { get: [200, 400, 401, 403] },
  '/v1/contacts/requests/{id}/retry': { post: [202, 401, 403, 404, 409] },
  '/v1/contacts/requests/retry': { post: [200, 400, 401, 403] },
  '/v1/stats': { get: [200, 401, 403] },
  '/health/live': { get: [200] },
  '/health/ready': { get: [200, 503] },
  '/health': { get: [200, 503] },
  '/api/hubspot/test': { get: [200, 401, 403, 503], post: [200, 400, 401, 403, 503] },
  '/metrics': { get: [200] },
  '/status': { get: [200] },
  '/docs/openapi.json': { get: [200] }
}

test('GET /docs/openapi.json: an OpenAPI 3 document with every route of the contract and its status codes', async (t) => {
  const app = await buildTestApp(t)
  const response = await app.inject('/docs/openapi.json')
  t.equal(response.statusCode, 200)
  const document = response.json()
  t.match(document, { openapi: /^3\./, info: { title: 'contact-sync', version: /^\d+\.\d+\.\d+/ } })
  for (const [path, methods] of Object.entries(CONTRACT)) {
    for (const [method, codes] of Object.entries(methods)) {
      const operation = document.paths[path]?.[method]
      t.ok(operation, `${method.toUpperCase()} ${path} is documented`)
      if (!operation) continue
      const documented = Object.keys(operation.responses).map(Number)
      t.same(codes.filter((code) => !documented.includes(code)), [], `${method.toUpperCase()} ${path}: ${codes.join(', ')}`)
    }
  }
})

test('the document says which routes need a key, and its schemas are the ones requests are validated with', async (t) => {
  const app = await buildTestApp(t)
  const { paths, components } = (await app.inject('/docs/openapi.json')).json()
  t.ok(components.securitySchemes.apiKey, 'a bearer scheme')
  t.same(paths['/v1/contacts'].post.security, [{ apiKey: [] }])
  t.match(paths['/v1/contacts'].post.description, /intake/)
  t.match(paths['/v1/contacts/requests/retry'].post.description, /admin/)
  t.equal(paths['/health'].get.security, undefined, 'probes need no key')
  const body = paths['/v1/contacts'].post.requestBody.content['application/json'].schema
  t.same(body.required, ['email'])
  t.same(body.properties.properties.propertyNames.enum.includes('firstname'), true, 'the allowed properties come from CONTACT_PROPERTIES')
})

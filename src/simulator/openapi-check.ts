import { readFile } from 'node:fs/promises'
import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'

export type SchemaViolation = {
  method: string
  path: string
  operationId: string | undefined
  errors: string[]
}

/** Returns the violation for a request body, or undefined when it matches (or no schema applies). */
export type RequestBodyCheck = (method: string, path: string, body: unknown) => SchemaViolation | undefined

type OpenApiOperation = {
  operationId?: string
  requestBody?: { content?: Record<string, { schema?: unknown }> }
}

type OpenApiDocument = {
  paths: Record<string, Record<string, OpenApiOperation>>
  components: { schemas: Record<string, unknown> }
}

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/** Compiles the request-body schema of every operation in HubSpot's OpenAPI 3.0 document. */
export async function loadRequestBodyCheck (specPath: string | URL): Promise<RequestBodyCheck> {
  const spec = JSON.parse(await readFile(specPath, 'utf8')) as OpenApiDocument
  // strict: false lets OpenAPI-only keywords (example, nullable) pass as annotations.
  const ajv = new Ajv({ strict: false, allErrors: true })
  addFormats(ajv)
  for (const format of ['int32', 'int64', 'float', 'double']) ajv.addFormat(format, true)
  // The components live in one schema document so "#/components/schemas/X" refs resolve.
  ajv.addSchema({ $id: 'hubspot-openapi', components: spec.components })

  const operations: Array<{ method: string, pattern: RegExp, operationId: string | undefined, validate: ValidateFunction }> = []
  for (const [template, methods] of Object.entries(spec.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      const schema = operation.requestBody?.content?.['application/json']?.schema as { $ref?: string } | undefined
      if (schema === undefined) continue
      const rooted = schema.$ref === undefined ? schema : { $ref: `hubspot-openapi${schema.$ref}` }
      operations.push({
        method: method.toUpperCase(),
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        operationId: operation.operationId,
        validate: ajv.compile(rooted)
      })
    }
  }
  // Literal paths (…/batch/upsert) win over templated ones (…/{contactId}).
  operations.sort((a, b) => a.pattern.source.split('[^/]+').length - b.pattern.source.split('[^/]+').length)

  return (method, path, body) => {
    const operation = operations.find((candidate) => candidate.method === method && candidate.pattern.test(path))
    if (operation === undefined || operation.validate(body)) return undefined
    return {
      method,
      path,
      operationId: operation.operationId,
      errors: (operation.validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message ?? 'is invalid'}`)
    }
  }
}

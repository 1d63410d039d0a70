import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// HubSpot's spec is reference data beside the repository, never copied into it.
const specUrl = new URL('../../../shared/hubspot-openapi/contacts-v3.json', import.meta.url)

/** Path of HubSpot's OpenAPI document; undefined when ../shared is absent, which only happens outside CI. */
export const openApiSpecPath: string | undefined = existsSync(specUrl) ? fileURLToPath(specUrl) : undefined

/** Why a test or assertion that needs the spec skips outside CI. */
export const openApiSpecMissing = `HubSpot OpenAPI spec not found at ${fileURLToPath(specUrl)}`

// Without the spec the simulator checks no body, and the spec checks would pass having checked
// nothing. In CI (CI=true) that must fail: every test file using the spec stops here, saying why.
const inCi = !['', '0', 'false'].includes(process.env.CI ?? '')
if (openApiSpecPath === undefined && inCi) {
  throw new Error(`${openApiSpecMissing}: CI checks request bodies against it, so ../shared must be beside the repository`)
}

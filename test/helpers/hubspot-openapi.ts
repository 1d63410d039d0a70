import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

// HubSpot's spec is reference data beside the repository, never copied into it.
const specUrl = new URL('../../../shared/hubspot-openapi/contacts-v3.json', import.meta.url)

/** Path of HubSpot's OpenAPI document, or undefined when ../shared is absent. */
export const openApiSpecPath: string | undefined = existsSync(specUrl) ? fileURLToPath(specUrl) : undefined

export const openApiSpecMissing = 'HubSpot OpenAPI spec not found at ../shared/hubspot-openapi/contacts-v3.json'

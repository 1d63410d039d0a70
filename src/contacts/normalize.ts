// What a caller may set a property to; HubSpot's wire type, defined with the HubSpot client
export type { PropertyValue } from '../hubspot/contacts.ts'

/** The email as it is stored and sent: trimmed and lower-cased. */
export function normalizeEmail (email: string): string {
  return email.trim().toLowerCase()
}

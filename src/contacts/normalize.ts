export type PropertyValue = string | number | boolean | null

/** The email as it is stored and sent: trimmed and lower-cased. */
export function normalizeEmail (email: string): string {
  return email.trim().toLowerCase()
}

// The shape HubSpot accepts; the format check of the route schema is looser than HubSpot's
const EMAIL = /^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/

export function isValidEmail (email: string): boolean {
  return email.length <= 254 && EMAIL.test(email)
}

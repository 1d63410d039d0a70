/** The email as it is stored and sent: trimmed and lower-cased. */
export function normalizeEmail (email: string): string {
  return email.trim().toLowerCase()
}

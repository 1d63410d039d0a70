/** What a key may call: each scope includes the ones before it. */
const SCOPES = ['intake', 'read', 'admin'] as const
export type Scope = typeof SCOPES[number]

export interface ApiKey { scope: Scope, key: string }

// The contract's key alphabet: URL- and header-safe, long enough not to be guessed
const KEY_FORMAT = /^[A-Za-z0-9._~+/=-]{16,256}$/

/**
 * `API_KEYS`: comma-separated `scope:key` or bare `key` (admin). Throws a one-line message
 * that names the entry by position, never the key itself (it is a secret).
 */
export function parseApiKeys (value: string): ApiKey[] {
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean)
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':')
    const scope = colon === -1 ? 'admin' : entry.slice(0, colon)
    const key = colon === -1 ? entry : entry.slice(colon + 1)
    const position = `entry ${index + 1} of ${entries.length}`
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw new Error(`API_KEYS ${position} has an unknown scope (use ${SCOPES.join(', ')}, or a bare key for admin)`)
    }
    if (!KEY_FORMAT.test(key)) {
      throw new Error(`API_KEYS ${position} is not a valid key: 16 to 256 characters of A-Z a-z 0-9 . _ ~ + / = -`)
    }
    return { scope: scope as Scope, key }
  })
}

/** Whether a key of scope `held` may call a route that needs `needed`. */
export function scopeAllows (held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed)
}

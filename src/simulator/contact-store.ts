/** Properties the simulated portal defines; writing any other is a VALIDATION_ERROR. */
export const KNOWN_CONTACT_PROPERTIES = new Set([
  'email', 'firstname', 'lastname', 'phone', 'mobilephone', 'company', 'website', 'jobtitle', 'address',
  'city', 'state', 'country', 'zip', 'message', 'lifecyclestage', 'hs_lead_status'
])

export type SimulatedContact = {
  id: string
  properties: Record<string, string>
  createdAt: string
  updatedAt: string
}

export type ContactStore = {
  findById: (id: string) => SimulatedContact | undefined
  findByEmail: (email: string) => SimulatedContact | undefined
  /** Creates or updates the contact with this email; created says which. */
  upsert: (email: string, properties: Record<string, string>) => { contact: SimulatedContact, created: boolean }
  list: () => SimulatedContact[]
  clear: () => void
}

export function createContactStore (): ContactStore {
  const byId = new Map<string, SimulatedContact>()
  const idByEmail = new Map<string, string>()
  let nextId = 1001

  return {
    findById: (id) => byId.get(id),
    findByEmail: (email) => {
      const id = idByEmail.get(email.toLowerCase())
      return id === undefined ? undefined : byId.get(id)
    },
    upsert (email, properties) {
      const at = new Date().toISOString()
      const key = email.toLowerCase()
      const existingId = idByEmail.get(key)
      const existing = existingId === undefined ? undefined : byId.get(existingId)
      const contact = existing ?? { id: String(nextId++), properties: {}, createdAt: at, updatedAt: at }
      for (const [name, value] of Object.entries(properties)) {
        // An empty string clears a property, as in HubSpot.
        if (value === '') delete contact.properties[name]
        else contact.properties[name] = value
      }
      // HubSpot stores emails lower-cased.
      contact.properties.email = key
      contact.updatedAt = at
      byId.set(contact.id, contact)
      idByEmail.set(key, contact.id)
      return { contact, created: existing === undefined }
    },
    list: () => [...byId.values()],
    clear () {
      byId.clear()
      idByEmail.clear()
    }
  }
}

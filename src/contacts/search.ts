import type { Sql } from '../db/client.ts'
import type { HubSpotClient } from '../hubspot/client.ts'
import { createTurnBatcher } from '../lib/turn-batcher.ts'
import { readWithin } from '../db/unavailable.ts'
import { findKnown, recordContacts, type KnownContact } from '../store/contacts-table.ts'
import type { PropertyValue } from '../hubspot/contacts.ts'

export interface ContactView {
  email: string
  hubspotId: string | null
  properties: Record<string, PropertyValue>
  syncStatus: 'synced' | 'pending'
}

export interface ContactSearchDeps {
  sql: Sql
  hubspot: Pick<HubSpotClient, 'readByEmail'>
  /** The properties a lookup asks HubSpot for. */
  properties: string[]
  /** A contact HubSpot confirmed this recently is answered without asking it again. */
  freshForSeconds: number
  /** A not-found is remembered this long. */
  notFoundForSeconds: number
  /** Searches of one event-loop turn read PostgreSQL in one statement, this many statements at most at a time. */
  maxReadsInFlight: number
  /** A search the database has not answered within this is refused (DatabaseUnavailableError). */
  readDeadlineMs: number
}

/**
 * Finds a contact by email: a pending one from the queue, a known one from the mirror,
 * and only on a miss one read by email from HubSpot (never its search endpoint).
 * Concurrent misses for one email share that read.
 */
export function createContactSearch (deps: ContactSearchDeps): (email: string) => Promise<ContactView | null> {
  const lookups = new Map<string, Promise<ContactView | null>>()
  // A search joins a read not yet sent, so it still sees every write acknowledged before it began
  const reads = createTurnBatcher<{ email: string }, KnownContact>(
    (group) => findKnown(deps.sql, group.map((read) => read.email)),
    { maxInFlight: deps.maxReadsInFlight, maxGroup: 500 }
  )

  async function lookUp (email: string): Promise<ContactView | null> {
    // A lookup: it takes no more than its share of HubSpot's budget, and fails fast (503) when none is left
    const found = await deps.hubspot.readByEmail(email, deps.properties, { priority: 'lookup' })
    const properties = Object.fromEntries(Object.entries(found?.properties ?? {}).map(([key, value]) => [key, value ?? '']))
    await recordContacts(deps.sql, [{ email, hubspotId: found?.hubspotId ?? null, properties }], 'lookup')
    return found ? { email, hubspotId: found.hubspotId, properties, syncStatus: 'synced' } : null
  }

  return async function findContact (email) {
    const read = { email }
    const { queued, mirrored } = await readWithin(reads.submit(read), deps.readDeadlineMs, (error) => reads.withdraw(read, error))
    if (queued) {
      return {
        email,
        hubspotId: mirrored?.hubspotId ?? null,
        properties: { ...mirrored?.properties, ...queued, email },
        syncStatus: 'pending'
      }
    }
    if (mirrored) {
      const freshFor = mirrored.hubspotId === null ? deps.notFoundForSeconds : deps.freshForSeconds
      if (mirrored.ageSeconds < freshFor) {
        return mirrored.hubspotId === null
          ? null
          : { email, hubspotId: mirrored.hubspotId, properties: mirrored.properties, syncStatus: 'synced' }
      }
    }
    let lookup = lookups.get(email)
    if (!lookup) {
      lookup = lookUp(email).finally(() => lookups.delete(email))
      lookups.set(email, lookup)
    }
    try {
      return await lookup
    } catch (error) {
      // HubSpot away: what it confirmed earlier beats no answer
      if (mirrored?.hubspotId) return { email, hubspotId: mirrored.hubspotId, properties: mirrored.properties, syncStatus: 'synced' }
      throw error
    }
  }
}

import type { Queryable } from '../db/client.ts'

/** The SQL of contacts: the service's mirror of what HubSpot holds. */

export interface MirroredContact {
  email: string
  hubspotId: string | null
  properties: Record<string, string>
  /** Seconds since HubSpot last confirmed this (a sync or a lookup). */
  ageSeconds: number
}

export async function findMirrored (sql: Queryable, email: string): Promise<MirroredContact | undefined> {
  const [row] = await sql<MirroredContact[]>`
    SELECT email, hubspot_id AS "hubspotId", properties, extract(epoch FROM now() - checked_at)::float8 AS "ageSeconds"
    FROM contacts WHERE email = ${email}`
  return row
}

/** Records what HubSpot confirmed: a sync's result (merged into what was known) or a lookup (null: not found). */
export async function recordContacts (sql: Queryable, contacts: Array<{ email: string, hubspotId: string | null, properties: Record<string, string> }>, origin: 'sync' | 'lookup'): Promise<void> {
  if (contacts.length === 0) return
  const synced = origin === 'sync'
  await sql`
    INSERT INTO contacts (email, hubspot_id, properties, synced_at, checked_at)
    SELECT email, hubspot_id, properties, CASE WHEN ${synced} THEN now() END, now()
    FROM unnest(${sql.array(contacts.map((c) => c.email))}::text[], ${sql.array(contacts.map((c) => c.hubspotId))}::text[],
                ${sql.array(contacts.map((c) => JSON.stringify(c.properties)))}::jsonb[]) AS c(email, hubspot_id, properties)
    ON CONFLICT (email) DO UPDATE SET
      hubspot_id = excluded.hubspot_id,
      properties = CASE WHEN ${synced} THEN contacts.properties || excluded.properties ELSE excluded.properties END,
      synced_at = coalesce(excluded.synced_at, contacts.synced_at),
      checked_at = now()`
}

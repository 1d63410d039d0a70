import type { Queryable } from '../db/client.ts'
import type { PropertyValue } from '../hubspot/contacts.ts'

/** The SQL of contacts: the service's mirror of what HubSpot holds. */

export interface MirroredContact {
  email: string
  hubspotId: string | null
  properties: Record<string, string>
  /** Seconds since HubSpot last confirmed this (a sync or a lookup). */
  ageSeconds: number
}

export interface KnownContact {
  /** The merge of the email's requests still waiting for HubSpot. */
  queued: Record<string, PropertyValue> | undefined
  mirrored: MirroredContact | undefined
}

/**
 * The queue rows and mirror rows of several emails in one round trip, in the emails' order:
 * search runs on this. The emails travel as a JSON array so that PostgreSQL keeps one plan
 * whatever their number (see insertRequests).
 */
export async function findKnown (sql: Queryable, emails: string[]): Promise<KnownContact[]> {
  const rows = await sql<Array<{
    email: string
    queued: Record<string, PropertyValue> | null
    mirrored: boolean
    hubspotId: string | null
    properties: Record<string, string> | null
    ageSeconds: number | null
  }>>`
    SELECT k.email, q.properties AS queued, c.email IS NOT NULL AS mirrored, c.hubspot_id AS "hubspotId", c.properties,
           extract(epoch FROM now() - c.checked_at)::float8 AS "ageSeconds"
    FROM jsonb_array_elements_text(${sql.json(emails)}) WITH ORDINALITY AS k(email, position)
    LEFT JOIN sync_queue q ON q.email = k.email
    LEFT JOIN contacts c ON c.email = k.email
    ORDER BY k.position`
  return rows.map((row) => ({
    queued: row.queued ?? undefined,
    mirrored: row.mirrored ? { email: row.email, hubspotId: row.hubspotId, properties: row.properties!, ageSeconds: row.ageSeconds! } : undefined
  }))
}

/** Records what HubSpot confirmed: a sync's result (merged into what was known) or a lookup (null: not found). */
export async function recordContacts (
  sql: Queryable,
  contacts: Array<{ email: string, hubspotId: string | null, properties: Record<string, string> }>,
  origin: 'sync' | 'lookup'
): Promise<void> {
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

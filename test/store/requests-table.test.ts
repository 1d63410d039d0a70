import { test } from 'tap'
import { randomUUID } from 'node:crypto'
import { insertRequests } from '../../src/store/requests-table.ts'
import type { PropertyValue } from '../../src/hubspot/contacts.ts'
import { buildTestApp } from '../helpers/app.ts'

const request = (email: string, properties: Record<string, PropertyValue>) => ({ id: randomUUID(), email, properties })

test('a group is stored and merged into the queue: the latest value of each property wins, in request order, within and across groups', async (t) => {
  const app = await buildTestApp(t)
  const sql = app.sql
  const queued = async () => Object.fromEntries((await sql<Array<{ email: string, properties: Record<string, PropertyValue>, lastIsNewest: boolean }>>`
    SELECT q.email, q.properties, q.last_request_seq = (SELECT max(seq) FROM contact_requests r WHERE r.email = q.email) AS "lastIsNewest"
    FROM sync_queue q`).map((row) => [row.email, { properties: row.properties, lastIsNewest: row.lastIsNewest }]))

  // One request per email (the common group), one of them for an email already queued
  await insertRequests(sql, [request('ada@example.com', { firstname: 'Ada', city: 'London' })])
  await insertRequests(sql, [request('grace@example.com', { firstname: 'Grace' }), request('ada@example.com', { city: 'Paris', company: 'Engines' })])
  t.same(await queued(), {
    'ada@example.com': { properties: { firstname: 'Ada', city: 'Paris', company: 'Engines' }, lastIsNewest: true },
    'grace@example.com': { properties: { firstname: 'Grace' }, lastIsNewest: true }
  })

  // An email twice in one group: its requests merge in their order, onto what was queued
  await insertRequests(sql, [
    request('ada@example.com', { city: 'Rome', lastname: 'Lovelace' }),
    request('alan@example.com', { firstname: 'Alan' }),
    request('ada@example.com', { city: 'Turin' }),
    request('ada@example.com', {})
  ])
  t.same(await queued(), {
    'ada@example.com': { properties: { firstname: 'Ada', city: 'Turin', company: 'Engines', lastname: 'Lovelace' }, lastIsNewest: true },
    'grace@example.com': { properties: { firstname: 'Grace' }, lastIsNewest: true },
    'alan@example.com': { properties: { firstname: 'Alan' }, lastIsNewest: true }
  })
  const [{ requests }] = await sql<{ requests: number }[]>`SELECT count(*)::int AS requests FROM contact_requests WHERE status = 'queued'`
  t.equal(requests, 7, 'every request stored, queued')
})

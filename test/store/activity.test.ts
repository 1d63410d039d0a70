import { test } from 'tap'
import { createActivityRecorder } from '../../src/store/activity.ts'
import { readActivity } from '../../src/store/activity-table.ts'
import { buildTestApp } from '../helpers/app.ts'

const MINUTE = 60_000

test('counts go to their minute, add up with what is there, and wait out a failed write', async (t) => {
  const app = await buildTestApp(t)
  const sql = app.sql
  let now = Date.parse('2026-11-28T10:00:30Z')
  const errors: unknown[] = []
  const recorder = createActivityRecorder({ sql, flushIntervalMs: 3_600_000, keepMinutesForMs: 7 * 24 * 60 * MINUTE, onError: (e) => errors.push(e), now: () => now })
  t.teardown(() => recorder.close())
  const stored = async () => (await readActivity(sql, new Date(Date.parse('2026-11-28T09:00:00Z'))))
    .map((m) => ({ minute: m.minute.toISOString(), accepted: m.accepted, requests: m.requests, serverErrors: m.serverErrors, hubspotCalls: m.hubspotCalls }))

  recorder.accepted(2)
  recorder.answered(202)
  recorder.answered(503)
  now += MINUTE
  recorder.accepted()
  recorder.hubspotCall(429)
  await recorder.flush()
  t.same(await stored(), [
    { minute: '2026-11-28T10:00:00.000Z', accepted: 2, requests: 2, serverErrors: 1, hubspotCalls: 0 },
    { minute: '2026-11-28T10:01:00.000Z', accepted: 1, requests: 0, serverErrors: 0, hubspotCalls: 1 }
  ])

  // The table away: the write fails, the counts are kept and go with the next one
  await sql`ALTER TABLE activity_minutes RENAME TO activity_minutes_away`
  recorder.accepted(5)
  await t.rejects(recorder.flush())
  recorder.accepted(1)
  await sql`ALTER TABLE activity_minutes_away RENAME TO activity_minutes`
  await recorder.flush()
  t.equal((await stored())[1].accepted, 7, '1 written before, 5 kept through the failure, 1 since')

  // Another process's counts for the same minute add up with this one's
  const other = createActivityRecorder({ sql, flushIntervalMs: 3_600_000, keepMinutesForMs: 7 * 24 * 60 * MINUTE, onError: () => {}, now: () => now })
  other.accepted(10)
  await other.close()
  t.equal((await stored())[1].accepted, 17)
})

test('settled requests: synced and failed counted, latencies bucketed', async (t) => {
  const app = await buildTestApp(t)
  const recorder = createActivityRecorder({ sql: app.sql, flushIntervalMs: 3_600_000, keepMinutesForMs: 60 * MINUTE, onError: () => {} })
  recorder.settled({ synced: 3, failed: 1, syncedLatenciesMs: [5, 180, 180] })
  await recorder.close()
  const [minute] = await readActivity(app.sql, new Date(Date.now() - 5 * MINUTE))
  t.equal(minute.synced, 3)
  t.equal(minute.failed, 1)
  t.equal(minute.syncLatency.reduce((a, b) => a + b, 0), 3)
  t.equal(minute.syncLatency[0], 1, '5 ms in the first bucket')
  t.equal(minute.syncLatency[8], 2, '180 ms in (150, 200]')
})

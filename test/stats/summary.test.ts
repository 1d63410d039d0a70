import { test } from 'tap'
import { summarizeActivity } from '../../src/stats/summary.ts'
import { emptyActivityCounts, type ActivityMinute } from '../../src/store/activity-table.ts'
import { bucketOf, emptyLatencyCounts } from '../../src/lib/latency-histogram.ts'

const NOW = Date.parse('2026-11-28T12:30:30Z')
const MINUTE = 60_000

function minute (minutesAgo: number, counts: Partial<ActivityMinute> & { latenciesMs?: number[] } = {}): ActivityMinute {
  const start = NOW - (NOW % MINUTE) - minutesAgo * MINUTE
  const syncLatency = emptyLatencyCounts()
  for (const latency of counts.latenciesMs ?? []) syncLatency[bucketOf(latency)]++
  const { latenciesMs: _latencies, ...rest } = counts
  return { ...emptyActivityCounts(), minute: new Date(start), syncLatency, ...rest }
}

test('each window sums the minutes that started within it, the current one included', async (t) => {
  const cases: Array<{ name: string, minutes: ActivityMinute[], accepted1h: number, accepted24h: number }> = [
    { name: 'nothing happened', minutes: [], accepted1h: 0, accepted24h: 0 },
    { name: 'this minute', minutes: [minute(0, { accepted: 3 })], accepted1h: 3, accepted24h: 3 },
    { name: '59 minutes ago is in the hour', minutes: [minute(59, { accepted: 2 })], accepted1h: 2, accepted24h: 2 },
    { name: '60 minutes ago is not', minutes: [minute(60, { accepted: 2 })], accepted1h: 0, accepted24h: 2 },
    { name: '1439 minutes ago is in the day', minutes: [minute(1439, { accepted: 4 })], accepted1h: 0, accepted24h: 4 },
    { name: '1440 minutes ago is not', minutes: [minute(1440, { accepted: 4 })], accepted1h: 0, accepted24h: 0 },
    { name: 'both', minutes: [minute(1000, { accepted: 4 }), minute(5, { accepted: 1 })], accepted1h: 1, accepted24h: 5 }
  ]
  for (const { name, minutes, accepted1h, accepted24h } of cases) {
    const { windows } = summarizeActivity(minutes, NOW)
    t.equal(windows['1h'].accepted, accepted1h, `${name}: last hour`)
    t.equal(windows['24h'].accepted, accepted24h, `${name}: last day`)
  }
})

test('the criteria against the runbook\'s targets: error rate at most 0.1 %, sync success at least 95 %', async (t) => {
  const cases: Array<{ name: string, counts: Partial<ActivityMinute>, errorRate: number, errorMet: boolean, syncSuccess: number | null, syncMet: boolean }> = [
    { name: 'quiet', counts: {}, errorRate: 0, errorMet: true, syncSuccess: null, syncMet: true },
    { name: 'one 5xx in 1000', counts: { requests: 1000, serverErrors: 1 }, errorRate: 0.001, errorMet: true, syncSuccess: null, syncMet: true },
    { name: 'two 5xx in 1000', counts: { requests: 1000, serverErrors: 2 }, errorRate: 0.002, errorMet: false, syncSuccess: null, syncMet: true },
    { name: '95 of 100 synced', counts: { synced: 95, failed: 5 }, errorRate: 0, errorMet: true, syncSuccess: 0.95, syncMet: true },
    { name: '94 of 100 synced', counts: { synced: 94, failed: 6 }, errorRate: 0, errorMet: true, syncSuccess: 0.94, syncMet: false },
    { name: 'only failures', counts: { failed: 3 }, errorRate: 0, errorMet: true, syncSuccess: 0, syncMet: false }
  ]
  for (const { name, counts, errorRate, errorMet, syncSuccess, syncMet } of cases) {
    const window = summarizeActivity([minute(1, counts)], NOW).windows['1h']
    t.equal(window.errorRate, errorRate, `${name}: error rate`)
    t.same(window.targets.errorRate, { max: 0.001, met: errorMet }, `${name}: error rate target`)
    t.equal(window.syncSuccess, syncSuccess, `${name}: sync success`)
    t.same(window.targets.syncSuccess, { min: 0.95, met: syncMet }, `${name}: sync success target`)
  }
})

test('latency percentiles and HubSpot figures add up over the minutes', async (t) => {
  const { windows } = summarizeActivity([
    minute(2, { synced: 2, latenciesMs: [180, 180], hubspotCalls: 5, hubspotRateLimited: 1, hubspotErrors: 2 }),
    minute(90, { synced: 1, latenciesMs: [40_000], hubspotCalls: 1 })
  ], NOW)
  t.same(windows['1h'].latencyMs, { p50: 175, p99: 200 }, 'both in (150, 200]: interpolated by rank within it')
  t.same(windows['1h'].hubspot, { calls: 5, rateLimited: 1, errors: 2 })
  t.same(windows['24h'].hubspot, { calls: 6, rateLimited: 1, errors: 2 })
  t.equal(windows['24h'].latencyMs.p99, 44_550, 'the slow one, in (30 s, 45 s], decides p99')
})

test('the hourly series: 24 hours, oldest first, the current hour last', async (t) => {
  const { hourly } = summarizeActivity([
    minute(0, { accepted: 1, synced: 1 }),
    minute(30, { accepted: 2 }),
    minute(31, { failed: 1 }),
    minute(23 * 60 + 30, { accepted: 7 }),
    minute(24 * 60 + 31, { accepted: 100 })
  ], NOW)
  t.equal(hourly.length, 24)
  t.equal(hourly[23].hour, '2026-11-28T12:00:00.000Z')
  t.equal(hourly[0].hour, '2026-11-27T13:00:00.000Z')
  t.same(hourly[23], { hour: '2026-11-28T12:00:00.000Z', accepted: 3, synced: 1, failed: 0 }, '12:30 and 12:00 are this hour')
  t.same(hourly[22], { hour: '2026-11-28T11:00:00.000Z', accepted: 0, synced: 0, failed: 1 }, '11:59 is the hour before')
  t.same(hourly[0], { hour: '2026-11-27T13:00:00.000Z', accepted: 7, synced: 0, failed: 0 }, '13:00 yesterday is the first hour')
  t.equal(hourly.reduce((sum, h) => sum + h.accepted, 0), 10, 'older than the first hour: not charted')
})

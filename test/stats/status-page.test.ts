import { test } from 'tap'
import { chartScale, formatDuration, renderStatusPage, type StatusView } from '../../src/stats/status-page.ts'
import { TARGETS, type HourActivity, type StatsWindow } from '../../src/stats/summary.ts'

const GENERATED_AT = '2026-11-28T12:30:30.000Z'

/** A window as summarizeActivity makes it: the targets' verdicts follow from the figures. */
function statsWindow (figures: Partial<Omit<StatsWindow, 'targets'>> = {}): StatsWindow {
  const w = {
    accepted: 0,
    requests: 0,
    serverErrors: 0,
    errorRate: 0,
    synced: 0,
    failed: 0,
    syncSuccess: null,
    latencyMs: { p50: null, p99: null },
    hubspot: { calls: 0, rateLimited: 0, errors: 0 },
    ...figures
  }
  return {
    ...w,
    targets: {
      errorRate: { max: TARGETS.errorRate.max, met: w.errorRate <= TARGETS.errorRate.max },
      syncSuccess: { min: TARGETS.syncSuccess.min, met: w.syncSuccess === null || w.syncSuccess >= TARGETS.syncSuccess.min }
    }
  }
}

function hours (counts: (index: number) => Partial<HourActivity> = () => ({})): HourActivity[] {
  const current = Date.parse('2026-11-28T12:00:00Z')
  return Array.from({ length: 24 }, (_, i) => ({
    hour: new Date(current - (23 - i) * 3_600_000).toISOString(),
    accepted: 0,
    synced: 0,
    failed: 0,
    ...counts(i)
  }))
}

function view (overrides: Partial<StatusView> = {}): StatusView {
  return {
    windows: { '1h': statsWindow(), '24h': statsWindow() },
    hourly: hours(),
    queue: { pending: 0, failed: 0, oldestPendingSeconds: null },
    hubspot: { configured: true, state: 'ok', lastSuccessAt: '2026-11-28T12:30:18.000Z', lastError: null },
    version: '1.4.2',
    color: 'blue',
    uptimeSeconds: 4000,
    generatedAt: GENERATED_AT,
    ...overrides
  }
}

/** The text of an element's markup, as a reader sees it (tags gone, spaces plain). */
function textOf (markup: string): string {
  return markup.replace(/<[^>]*>/g, ' ').replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
    .replace(/[\s\u00a0]+/g, ' ').trim()
}

/** One criterion's cell for one window: its verdict attribute and what it reads. */
function cellOf (page: string, criterion: string, window: string): { met: string, text: string } {
  const open = new RegExp(`data-criterion="${criterion}" data-window="${window}" data-met="(true|false)">`)
  const match = open.exec(page)
  if (!match) throw new Error(`no cell for ${criterion} ${window}`)
  const rest = page.slice(match.index + match[0].length)
  const end = rest.search(/data-criterion=|<\/section>/)
  return { met: match[1], text: textOf(rest.slice(0, end)) }
}

function chartOf (page: string): string {
  const match = /<svg data-chart="hourly"[\s\S]*?<\/svg>/.exec(page)
  if (!match) throw new Error('no chart')
  return match[0]
}

test('each criterion shows PASS or FAIL for each window, with its value rounded towards its verdict', async (t) => {
  const cases: Array<{ name: string, window: Partial<StatsWindow>, criterion: 'errorRate' | 'syncSuccess', met: boolean, reads: RegExp }> = [
    { name: 'no requests', window: {}, criterion: 'errorRate', met: true, reads: /PASS 0 % no requests/ },
    { name: 'well under', window: { errorRate: 0.0002, serverErrors: 1, requests: 5000 }, criterion: 'errorRate', met: true, reads: /PASS 0\.02 % 5xx: 1 of 5,000/ },
    { name: 'on the target', window: { errorRate: 0.001, serverErrors: 1, requests: 1000 }, criterion: 'errorRate', met: true, reads: /PASS 0\.10 %/ },
    // Shown rounded up: 0.10 % next to FAIL would contradict itself
    { name: 'just over', window: { errorRate: 0.00101 }, criterion: 'errorRate', met: false, reads: /FAIL 0\.11 %/ },
    { name: 'well over', window: { errorRate: 5 / 1005, serverErrors: 5, requests: 1005 }, criterion: 'errorRate', met: false, reads: /FAIL 0\.50 % 5xx: 5 of 1,005/ },
    { name: 'nothing settled', window: {}, criterion: 'syncSuccess', met: true, reads: /PASS no syncs yet nothing settled/ },
    { name: 'all synced', window: { syncSuccess: 1, synced: 40 }, criterion: 'syncSuccess', met: true, reads: /PASS 100 % synced 40 of 40/ },
    { name: 'on the target', window: { syncSuccess: 0.95, synced: 95, failed: 5 }, criterion: 'syncSuccess', met: true, reads: /PASS 95 %/ },
    // Shown rounded down: 95 % next to FAIL would contradict itself
    { name: 'just under', window: { syncSuccess: 0.9499 }, criterion: 'syncSuccess', met: false, reads: /FAIL 94\.9 %/ },
    { name: 'well under', window: { syncSuccess: 0.98 - 0.1, synced: 880, failed: 120 }, criterion: 'syncSuccess', met: false, reads: /FAIL 88 % synced 880 of 1,000/ }
  ]
  for (const c of cases) {
    for (const window of ['1h', '24h'] as const) {
      const other = window === '1h' ? '24h' : '1h'
      const page = renderStatusPage(view({ windows: { [window]: statsWindow(c.window), [other]: statsWindow() } as StatusView['windows'] }))
      const cell = cellOf(page, c.criterion, window)
      t.equal(cell.met, String(c.met), `${c.criterion} ${c.name} (${window}): data-met`)
      t.match(cell.text, c.reads, `${c.criterion} ${c.name} (${window}): reads ${c.reads}`)
      t.equal(cellOf(page, c.criterion, other).met, 'true', `${c.criterion} ${c.name}: the other window is untouched`)
    }
  }
})

test('the page says at the top, and in its title, whether every criterion is met', async (t) => {
  const cases = [
    { name: 'all met', windows: { '1h': statsWindow(), '24h': statsWindow({ syncSuccess: 0.99 }) }, overall: 'pass', title: 'PASS', says: /Both criteria met/ },
    {
      name: 'error rate failing in the last hour',
      windows: { '1h': statsWindow({ errorRate: 0.01 }), '24h': statsWindow() },
      overall: 'fail',
      title: 'FAIL',
      says: /Off target: error rate \(last hour\)$/
    },
    {
      name: 'both failing',
      windows: { '1h': statsWindow({ errorRate: 0.01, syncSuccess: 0.5 }), '24h': statsWindow({ syncSuccess: 0.9 }) },
      overall: 'fail',
      title: 'FAIL',
      says: /error rate \(last hour\), sync success \(last hour\), sync success \(last 24 h\)/
    }
  ]
  for (const c of cases) {
    const page = renderStatusPage(view({ windows: c.windows }))
    const verdict = /<div class="verdict \w+" data-overall="(\w+)">([\s\S]*?)<\/div>/.exec(page)
    t.equal(verdict?.[1], c.overall, `${c.name}: overall`)
    t.match(textOf(verdict?.[2] ?? ''), c.says, `${c.name}: the verdict line`)
    t.match(page, new RegExp(`<title>${c.title} · contact-sync status</title>`), `${c.name}: the tab's title`)
  }
})

test('strings from outside are escaped wherever they appear', async (t) => {
  const hostile = '<script>alert(1)</script>"\'&'
  const page = renderStatusPage(view({
    version: hostile,
    color: `${hostile}green`,
    hubspot: { configured: true, state: hostile, lastSuccessAt: hostile, lastError: `"><img src=x onerror=alert(1)>${hostile}` }
  }))
  t.notMatch(page, /<script/i, 'no script element came through')
  t.notMatch(page, /<img/i, 'no img element came through')
  t.notMatch(page, /"><img/, 'no attribute was closed early')
  t.match(page, '&#60;script&#62;alert(1)&#60;/script&#62;&#34;&#39;&#38;', 'the version is shown, escaped')
  t.match(page, /data-hubspot-state="&#60;script/, 'an attribute value is escaped too')
  t.match(page, /class="deploy none"/, 'an unknown color is not put in a class')
})

test('the chart has one group per hour, in order, and stays within its frame whatever the data', async (t) => {
  const cases: Array<{ name: string, hourly: HourActivity[], bars: number, empty: boolean }> = [
    { name: 'all zeros', hourly: hours(), bars: 0, empty: true },
    {
      name: 'a steady day with one failing hour',
      hourly: hours((i) => ({ accepted: 400 + i * 10, synced: i === 20 ? 100 : 400 + i * 10, failed: i === 20 ? 300 + i * 10 : 0 })),
      bars: 24 * 2 + 1,
      empty: false
    },
    { name: 'one huge hour', hourly: hours((i) => (i === 23 ? { accepted: 1_000_000, synced: 999_000, failed: 1 } : { accepted: 1, synced: 1 })), bars: 24 * 2 + 1, empty: false }
  ]
  for (const c of cases) {
    const chart = chartOf(renderStatusPage(view({ hourly: c.hourly })))
    const groups = [...chart.matchAll(/<g data-hour="([^"]+)"/g)].map((m) => m[1])
    t.same(groups, c.hourly.map((h) => h.hour), `${c.name}: 24 groups, oldest first, the current hour last`)
    t.notMatch(chart, /NaN|Infinity|undefined/, `${c.name}: no broken number`)
    const bars = [...chart.matchAll(/<rect class="(accepted|synced|failed)" x="[\d.]+%" y="([\d.-]+)" width="[\d.]+%" height="([\d.-]+)"/g)]
    t.equal(bars.length, c.bars, `${c.name}: ${c.bars} bars drawn`)
    for (const [, , y, height] of bars) {
      t.ok(Number(height) >= 2, `${c.name}: a bar with something in it is at least 2 px high`)
      t.ok(Number(y) >= 24 && Number(y) + Number(height) <= 192, `${c.name}: bar y=${y} h=${height} within the plot`)
    }
    t.equal(/No contacts in the last 24 hours/.test(chart), c.empty, `${c.name}: the empty message ${c.empty ? 'shown' : 'not shown'}`)
    t.match(chart, /role="img" aria-labelledby="chart-title chart-desc"/, `${c.name}: accessible name`)
    t.match(chart, /<title id="chart-title">[^<]+<\/title>/)
  }
  const axis = (hourly: HourActivity[]) => [...(/<svg class="axis"[\s\S]*?<\/svg>/.exec(renderStatusPage(view({ hourly }))) ?? [''])[0]
    .matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1])
  t.same(axis(hours()), ['0'], 'all zeros: the baseline alone')
  t.same(axis(hours((i) => ({ accepted: i === 5 ? 1400 : 0 }))), ['0', '500', '1,000', '1,500'], 'gridlines in full up to 9,999')
  t.same(axis(hours((i) => ({ accepted: i === 5 ? 250_000 : 3 }))), ['0', '50K', '100K', '150K', '200K', '250K'], 'then short, to fit beside the chart')
  const busy = chartOf(renderStatusPage(view({ hourly: hours((i) => ({ accepted: i, synced: i, failed: i === 3 ? 2 : 0 })) })))
  t.match(busy, /<desc id="chart-desc">Over the last 24 hours: 276 accepted, 276 synced, 2 failed; busiest hour 12:00 UTC with 23 accepted\.<\/desc>/)
  t.match(busy, /<title>16:00 UTC: 3 accepted, 3 synced, 2 failed<\/title>/, 'each hour says its counts on hover')
})

test('the chart\'s gridlines fall on round numbers', async (t) => {
  const cases = [
    { max: 0, top: 0, step: 0 },
    { max: 1, top: 1, step: 1 },
    { max: 3, top: 3, step: 1 },
    { max: 7, top: 8, step: 2 },
    { max: 430, top: 500, step: 100 },
    { max: 1_000_000, top: 1_000_000, step: 200_000 },
    { max: 1_000_001, top: 1_500_000, step: 500_000 },
    { max: 12, top: 15, step: 5 }
  ]
  for (const c of cases) t.same(chartScale(c.max), { top: c.top, step: c.step }, `max ${c.max}`)
})

test('durations read as people say them', async (t) => {
  const cases: Array<[number, string]> = [
    [0, '0 s'], [0.4, '0 s'], [45, '45 s'], [60, '1 min'], [200, '3 min 20 s'], [3600, '1 h'], [7500, '2 h 5 min'], [273_600, '3 d 4 h']
  ]
  for (const [seconds, reads] of cases) t.equal(formatDuration(seconds).replace(/\u00a0/g, ' '), reads, `${seconds} s`)
})

test('the queue shows its depth, its oldest pending age and the failed count', async (t) => {
  const cases = [
    { queue: { pending: 0, failed: 0, oldestPendingSeconds: null }, pending: '0', oldest: '—', failed: '0', warn: false },
    { queue: { pending: 1234, failed: 40, oldestPendingSeconds: 200 }, pending: '1,234', oldest: '3 min 20 s', failed: '40', warn: true }
  ]
  for (const c of cases) {
    const page = renderStatusPage(view({ queue: c.queue }))
    const tile = (name: string) => textOf(new RegExp(`data-queue="${name}">([\\s\\S]*?)</div>`).exec(page)?.[1] ?? '')
    t.equal(tile('pending'), `Pending ${c.pending}`)
    t.equal(tile('oldest'), `Oldest pending ${c.oldest}`)
    t.equal(tile('failed'), `Failed, to replay ${c.failed}`)
    t.equal(/class="tile warn" data-queue="failed"/.test(page), c.warn, 'failed requests stand out')
  }
})

test('the HubSpot state is shown in words and colored by how bad it is', async (t) => {
  const cases = [
    { state: 'ok', tone: 'ok', reads: 'OK' },
    { state: 'rate_limited', tone: 'warn', reads: 'Rate limited' },
    { state: 'not_configured', tone: 'warn', reads: 'Not configured' },
    { state: 'unknown', tone: 'warn', reads: 'Unknown: no call yet' },
    { state: 'unauthorized', tone: 'bad', reads: 'Unauthorized: check the token' },
    { state: 'forbidden', tone: 'bad', reads: 'Forbidden: check the scopes' },
    { state: 'unreachable', tone: 'bad', reads: 'Unreachable' },
    { state: 'some_new_state', tone: 'warn', reads: 'some_new_state' }
  ]
  for (const c of cases) {
    const page = renderStatusPage(view({ hubspot: { configured: true, state: c.state, lastSuccessAt: null, lastError: 'HTTP 401 from /crm/v3' } }))
    const state = new RegExp(`<p class="state (\\w+)" data-hubspot-state="${c.state}">([\\s\\S]*?)</p>`).exec(page)
    t.equal(state?.[1], c.tone, `${c.state}: ${c.tone}`)
    t.equal(textOf(state?.[2] ?? ''), c.reads, `${c.state}: reads "${c.reads}"`)
    t.match(page, /data-field="lastSuccessAt"><span class="muted">never<\/span>/)
    t.match(page, /data-field="lastError" class="error-text"><code>HTTP 401 from \/crm\/v3<\/code>/)
  }
  const page = renderStatusPage(view())
  t.match(textOf(/data-field="lastSuccessAt">([\s\S]*?)<\/dd>/.exec(page)?.[1] ?? ''), '2026-11-28 12:30:18 UTC 12 s ago', 'last success, and how long ago')
  t.match(page, /data-field="lastError" class="error-text"><span class="muted">none<\/span>/)
})

test('the windows\' other figures: latency, HubSpot calls, 429s and errors', async (t) => {
  const page = renderStatusPage(view({
    windows: {
      '1h': statsWindow({ accepted: 1000, latencyMs: { p50: 840, p99: 12_400 }, hubspot: { calls: 11, rateLimited: 2, errors: 1 } }),
      '24h': statsWindow({ accepted: 24_000, hubspot: { calls: 260, rateLimited: 9, errors: 3 } })
    }
  }))
  const row = (label: string) => textOf(new RegExp(`<tr><th scope="row">${label}</th>([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? '')
  t.equal(row('Accepted \\(202\\)'), '1,000 24,000')
  t.equal(row('202 → synced p50'), '840 ms —', 'no latency yet reads —')
  t.equal(row('202 → synced p99'), '12,400 ms —')
  t.equal(row('Calls'), '11 260')
  t.equal(row('429 answers'), '2 9')
  t.equal(row('Errors'), '1 3')
})

test('version, deploy color, uptime and when the page was made', async (t) => {
  const cases = [
    { color: 'blue', className: 'blue', reads: 'blue' },
    { color: 'green', className: 'green', reads: 'green' },
    { color: null, className: 'none', reads: 'none' },
    { color: 'purple', className: 'none', reads: 'purple' }
  ]
  for (const c of cases) {
    const page = renderStatusPage(view({ color: c.color }))
    const color = /<dd data-field="color" class="deploy (\w+)">([\s\S]*?)<\/dd>/.exec(page)
    t.equal(color?.[1], c.className, `color ${c.color}: class`)
    t.equal(textOf(color?.[2] ?? ''), c.reads, `color ${c.color}: reads`)
  }
  const page = renderStatusPage(view())
  t.match(page, '<dd data-field="version">1.4.2</dd>')
  t.match(textOf(/data-field="uptime">([^<]*)</.exec(page)?.[1] ?? ''), '1 h 6 min')
  t.match(page, /<time datetime="2026-11-28T12:30:30.000Z" data-field="generatedAt">2026-11-28 12:30:30 UTC<\/time>/)
})

test('the page stands alone: no external reference, no script, refreshing itself, sized for a phone', async (t) => {
  const pages = [
    renderStatusPage(view()),
    renderStatusPage(view({ windows: { '1h': statsWindow({ errorRate: 0.5 }), '24h': statsWindow() }, hourly: hours(() => ({ accepted: 5 })) }))
  ]
  for (const page of pages) {
    t.match(page, /^<!doctype html>\n<html lang="en">/)
    t.notMatch(page, /\b(?:src|href|action|poster|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//i, 'no src/href to another host')
    t.notMatch(page, /@import|url\(/i, 'no stylesheet import, no url() in the CSS')
    t.notMatch(page, /<(?:script|link rel="stylesheet"|iframe|img|object|embed)\b/i, 'nothing loaded besides the page')
    t.match(page, /<link rel="icon" href="data:image\/svg\+xml,/, 'the icon is inline')
    t.match(page, '<meta http-equiv="refresh" content="30">')
    t.match(page, '<meta name="viewport" content="width=device-width, initial-scale=1">')
    t.match(page, '<meta charset="utf-8">')
  }
})

// Must show 2: /status in real headless Chromium (Debian's chromium package) at a phone's and a
// desktop's width; the criteria and the chart are there, nothing overflows, and a screenshot of
// each width is left in .tap/screenshots/ for people to look at.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { chromium, type Browser, type Page } from 'playwright-core'
import { renderStatusPage, type StatusView } from '../../src/stats/status-page.ts'
import { TARGETS, type StatsWindow } from '../../src/stats/summary.ts'
import { buildTestApp } from '../helpers/app.ts'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SCREENSHOTS = fileURLToPath(new URL('../../.tap/screenshots/', import.meta.url))
const VIEWPORTS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'desktop', width: 1280, height: 800 }
] as const
type Viewport = typeof VIEWPORTS[number]

// Chromium's start on a busy 2-core machine is slow: the file's bound, then each step's
const FILE_TIMEOUT_MS = 240_000
const STEP_TIMEOUT_MS = 60_000
t.setTimeout(FILE_TIMEOUT_MS)

const missing = existsSync(CHROMIUM) ? undefined : `needs Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`
// In CI a missing browser is a broken image, not a reason to skip
const skip = missing !== undefined && process.env.CI !== 'true' ? missing : false

t.test('Chromium is there when CI runs', { skip: process.env.CI === 'true' ? false : 'only under CI=true' }, async (t) => {
  t.equal(missing, undefined, missing ?? 'found')
})

async function launch (t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    timeout: STEP_TIMEOUT_MS,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--no-first-run', '--disable-quic', '--disable-sync']
  })
  t.teardown(() => browser.close())
  return browser
}

/**
 * Opens the page at one width and checks what holds for any data: both criteria with a verdict
 * matching their data-met, the chart with 24 hours, no horizontal overflow, nothing fetched but
 * the page; then leaves a full-page screenshot.
 */
async function openAndCheck (t: Test, browser: Browser, url: string, viewport: Viewport, screenshot: string,
  colorScheme: 'light' | 'dark' = 'light'): Promise<Page> {
  // Without JavaScript: the page must not need it
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height }, javaScriptEnabled: false, colorScheme })
  t.teardown(() => context.close())
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  const fetched: string[] = []
  page.on('request', (request) => { if (!request.url().startsWith('data:')) fetched.push(request.url()) })

  const response = await page.goto(url, { waitUntil: 'load' })
  t.equal(response?.status(), 200, `${viewport.name}: 200`)
  t.match(response?.headers()['content-type'], /^text\/html/, `${viewport.name}: HTML`)

  for (const criterion of ['errorRate', 'syncSuccess']) {
    for (const window of ['1h', '24h']) {
      const cell = page.locator(`[data-criterion="${criterion}"][data-window="${window}"]`)
      t.ok(await cell.isVisible(), `${viewport.name}: ${criterion} ${window} visible`)
      const met = await cell.getAttribute('data-met')
      const verdict = cell.locator('[data-verdict]')
      t.ok(await verdict.isVisible(), `${viewport.name}: ${criterion} ${window} verdict visible`)
      t.match(await verdict.innerText(), met === 'true' ? /PASS/ : /FAIL/, `${viewport.name}: ${criterion} ${window} reads ${met === 'true' ? 'PASS' : 'FAIL'}`)
      const box = await cell.boundingBox()
      t.ok(box !== null && box.x >= 0 && box.x + box.width <= viewport.width, `${viewport.name}: ${criterion} ${window} within the width`)
    }
  }

  const chart = page.locator('svg[data-chart="hourly"]')
  t.ok(await chart.isVisible(), `${viewport.name}: chart visible`)
  t.equal(await chart.locator('g[data-hour]').count(), 24, `${viewport.name}: 24 hours in the chart`)
  const chartBox = await chart.boundingBox()
  t.ok(chartBox !== null && chartBox.width >= viewport.width * 0.7 && chartBox.height >= 150,
    `${viewport.name}: the chart spans the page (${chartBox?.width} × ${chartBox?.height})`)
  t.ok(await page.getByText(/^HubSpot$/).first().isVisible(), `${viewport.name}: the HubSpot section`)

  // A string, evaluated in the page: this project's TypeScript has no DOM types
  const widths = await page.evaluate<{ scroll: number, inner: number }>('({ scroll: document.documentElement.scrollWidth, inner: window.innerWidth })')
  t.ok(widths.scroll <= widths.inner, `${viewport.name}: no horizontal overflow (${widths.scroll} ≤ ${widths.inner})`)
  t.same(fetched, [url], `${viewport.name}: nothing fetched but the page`)

  await mkdir(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: `${SCREENSHOTS}${screenshot}-${viewport.name}.png`, fullPage: true })
  t.comment(`screenshot: .tap/screenshots/${screenshot}-${viewport.name}.png`)
  return page
}

t.test('GET /status of a running app, in Chromium at phone and desktop widths', { skip, timeout: FILE_TIMEOUT_MS }, async (t) => {
  const app = await buildTestApp(t, { DEPLOY_COLOR: 'green' })
  const posted = 5
  for (let i = 0; i < posted; i++) {
    const response = await app.inject({ method: 'POST', url: '/v1/contacts', payload: { email: `status-${i}@example.com`, properties: { firstname: 'Status' } } })
    t.equal(response.statusCode, 202, `contact ${i} accepted`)
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/status`
  const browser = await launch(t)

  for (const viewport of VIEWPORTS) {
    const page = await openAndCheck(t, browser, url, viewport, 'status')
    t.equal(await page.locator('g[data-hour]').last().getAttribute('data-accepted'), String(posted), `${viewport.name}: this hour's posts in the chart`)
    t.equal(await page.locator('[data-queue="pending"] dd').innerText(), String(posted), `${viewport.name}: pending (no HubSpot in this test)`)
    t.match(await page.locator('[data-criterion="syncSuccess"][data-window="1h"]').innerText(), /no syncs yet/, `${viewport.name}: nothing settled`)
    const health = (await app.inject('/health')).json()
    t.equal(await page.locator('[data-hubspot-state]').getAttribute('data-hubspot-state'), health.hubspot.state, `${viewport.name}: HubSpot state as /health has it`)
    t.match(await page.locator('[data-field="color"]').innerText(), /green/, `${viewport.name}: the color`)
  }
})

// A day of the kind the page is for: traffic following the clock, an hour when HubSpot failed
// most syncs, and the last hour over the error-rate target. The app cannot make 24 hours in a test.
function busyDay (): StatusView {
  const now = Date.parse('2026-11-28T14:36:12Z')
  const currentHour = now - (now % 3_600_000)
  const hourly = Array.from({ length: 24 }, (_, i) => {
    const hour = new Date(currentHour - (23 - i) * 3_600_000)
    const clock = hour.getUTCHours()
    const accepted = Math.round((i === 23 ? 0.6 : 1) * (120 + 900 * Math.max(0, Math.sin(((clock - 6) / 24) * 2 * Math.PI)) ** 1.5))
    const failed = i === 18 ? Math.round(accepted * 0.45) : Math.round(accepted * 0.004)
    return { hour: hour.toISOString(), accepted, synced: accepted - failed, failed }
  })
  const sum = (pick: (h: typeof hourly[number]) => number, from = 0) => hourly.slice(from).reduce((total, h) => total + pick(h), 0)
  const window = (from: number, requests: number, serverErrors: number, latency: [number, number], hubspot: StatsWindow['hubspot']): StatsWindow => {
    const synced = sum((h) => h.synced, from)
    const failed = sum((h) => h.failed, from)
    const errorRate = serverErrors / requests
    const syncSuccess = synced / (synced + failed)
    return {
      accepted: sum((h) => h.accepted, from),
      requests,
      serverErrors,
      errorRate,
      synced,
      failed,
      syncSuccess,
      latencyMs: { p50: latency[0], p99: latency[1] },
      hubspot,
      targets: {
        errorRate: { max: TARGETS.errorRate.max, met: errorRate <= TARGETS.errorRate.max },
        syncSuccess: { min: TARGETS.syncSuccess.min, met: syncSuccess >= TARGETS.syncSuccess.min }
      }
    }
  }
  return {
    windows: {
      '1h': window(23, 1_204, 5, [840, 4_200], { calls: 9, rateLimited: 1, errors: 0 }),
      '24h': window(0, 14_530, 6, [620, 12_400], { calls: 214, rateLimited: 7, errors: 31 })
    },
    hourly,
    queue: { pending: 37, failed: 212, oldestPendingSeconds: 200 },
    hubspot: {
      configured: true,
      state: 'ok',
      lastSuccessAt: new Date(now - 4_000).toISOString(),
      lastError: 'HTTP 502 from POST /crm/v3/objects/contacts/batch/upsert: <html><title>502 Bad Gateway</title></html>'
    },
    version: '1.4.2',
    color: 'blue',
    uptimeSeconds: 5 * 3600 + 12 * 60,
    generatedAt: new Date(now).toISOString()
  }
}

t.test('a busy day with a failing hour, in Chromium at phone and desktop widths', { skip, timeout: FILE_TIMEOUT_MS }, async (t) => {
  const view = busyDay()
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(renderStatusPage(view))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  // Chromium may still hold a keep-alive connection when this runs: close them, or close() waits for it
  t.teardown(() => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve) }))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`
  const browser = await launch(t)

  for (const viewport of VIEWPORTS) {
    const page = await openAndCheck(t, browser, url, viewport, 'status-busy-day')
    t.equal(await page.locator('[data-criterion="errorRate"][data-window="1h"]').getAttribute('data-met'), 'false', `${viewport.name}: 1 h error rate fails`)
    t.match(await page.locator('[data-overall]').innerText(), /Off target: error rate \(last hour\)/, `${viewport.name}: the verdict says which`)
    const failing = page.locator('g[data-hour] rect.failed').nth(0)
    t.ok(await failing.count() === 1, `${viewport.name}: failed bars drawn`)
    t.match(await page.locator('[data-field="lastError"]').innerText(), /<title>502 Bad Gateway<\/title>/, `${viewport.name}: the last error shown as text`)
  }
  // The page follows the system's dark mode: the same checks, and a screenshot to look at
  await openAndCheck(t, browser, url, VIEWPORTS[0], 'status-busy-day-dark', 'dark')
})

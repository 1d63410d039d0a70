import type { ActivitySummary, HourActivity, StatsWindow } from './summary.ts'

/** What GET /status shows: the figures of /v1/stats, with what /health knows of the process and HubSpot. */
export interface StatusView {
  windows: ActivitySummary['windows']
  hourly: ActivitySummary['hourly']
  queue: { pending: number, failed: number, oldestPendingSeconds: number | null }
  hubspot: { configured: boolean, state: string, lastSuccessAt: string | null, lastError: string | null }
  version: string
  color: string | null
  uptimeSeconds: number
  generatedAt: string
}

type WindowName = keyof StatusView['windows']
type CriterionName = keyof StatsWindow['targets']

const WINDOWS: ReadonlyArray<{ name: WindowName, label: string }> = [
  { name: '1h', label: 'Last hour' },
  { name: '24h', label: 'Last 24 h' }
]
const REFRESH_SECONDS = 30
// Between a number and its unit, so that "3 min" never wraps apart on a phone
const NBSP = '\u00a0'

// ---------------------------------------------------------------------------------------------
// HTML: every interpolated value is escaped unless it is markup this file built

class Html {
  readonly text: string
  constructor (text: string) {
    this.text = text
  }
}

type Interpolation = Html | readonly Html[] | string | number

function escapeHtml (value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

function html (strings: TemplateStringsArray, ...values: Interpolation[]): Html {
  let text = strings[0]
  values.forEach((value, i) => { text += markupOf(value) + strings[i + 1] })
  return new Html(text)
}

function markupOf (value: Interpolation): string {
  if (value instanceof Html) return value.text
  if (Array.isArray(value)) return value.map((part: Html) => part.text).join('')
  return escapeHtml(String(value))
}

// ---------------------------------------------------------------------------------------------
// Figures as people read them

const countFormat = new Intl.NumberFormat('en-US')

function formatCount (n: number): string {
  return countFormat.format(n)
}

const compactFormat = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })

/** "1,500", then "25K", "1.5M": a gridline's number fits the axis beside the chart whatever the day's peak. */
function formatAxisCount (n: number): string {
  return n < 10_000 ? formatCount(n) : compactFormat.format(n)
}

/** Rounded up, so that a rate over the target never reads as on it (0.1004 % shows 0.11 %, a FAIL). */
function formatErrorRate (rate: number): string {
  if (rate === 0) return `0${NBSP}%`
  return `${(Math.ceil(rate * 10_000 - 1e-9) / 100).toFixed(2)}${NBSP}%`
}

/** Rounded down, so that a success under the target never reads as on it (94.99 % shows 94.9 %, a FAIL). */
function formatSyncSuccess (success: number | null): string {
  if (success === null) return 'no syncs yet'
  return `${(Math.floor(success * 1000 + 1e-9) / 10).toFixed(1).replace(/\.0$/, '')}${NBSP}%`
}

function formatTargetPercent (ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}${NBSP}%`
}

/** The two largest units: "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h". */
export function formatDuration (totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds))
  const units: Array<[string, number]> = [['d', 86_400], ['h', 3600], ['min', 60], ['s', 1]]
  const first = units.findIndex(([, size]) => s >= size)
  if (first === -1) return `0${NBSP}s`
  const [bigName, bigSize] = units[first]
  const parts = [`${Math.floor(s / bigSize)}${NBSP}${bigName}`]
  const next = units[first + 1]
  if (next && (s % bigSize) >= next[1]) parts.push(`${Math.floor((s % bigSize) / next[1])}${NBSP}${next[0]}`)
  return parts.join(' ')
}

function formatMs (ms: number | null): string {
  return ms === null ? '—' : `${formatCount(Math.round(ms))}${NBSP}ms`
}

/** "2026-11-28 12:30:05 UTC": the server does not know the reader's zone, so it says which one it uses. */
function formatTime (iso: string): string {
  const date = new Date(iso)
  if (Number.isNaN(date.getTime())) return iso
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`
}

function formatAgo (iso: string, nowIso: string): string {
  const seconds = (Date.parse(nowIso) - Date.parse(iso)) / 1000
  if (!Number.isFinite(seconds)) return ''
  return seconds < 1 ? 'just now' : `${formatDuration(seconds)} ago`
}

/** A figure with its units ("3 min 20 s", "0.42 %") set smaller than its numbers, so that it fits a tile. */
function withSmallUnits (text: string): Html {
  return html`${text.split(NBSP).flatMap((part, i) => {
    const [unit, rest] = i === 0 ? ['', part] : splitUnit(part)
    return unit === '' ? [html`${rest}`] : [html`<span class="unit">${NBSP}${unit}</span>${rest}`]
  })}`
}

/** "min 20" → ["min", " 20"]: the unit that follows a number, and what comes after it. */
function splitUnit (part: string): [string, string] {
  const space = part.indexOf(' ')
  return space === -1 ? [part, ''] : [part.slice(0, space), part.slice(space)]
}

// ---------------------------------------------------------------------------------------------
// The criteria

interface CriterionCell {
  criterion: CriterionName
  window: WindowName
  windowLabel: string
  met: boolean
  /** A figure ("0.42 %"), or words when there is none yet */
  value: string
  numeric: boolean
  detail: string
}

const CRITERIA: ReadonlyArray<{ name: CriterionName, title: string, target: (w: StatsWindow) => string }> = [
  { name: 'errorRate', title: 'Error rate', target: (w) => `target ≤${NBSP}${formatTargetPercent(w.targets.errorRate.max)}` },
  { name: 'syncSuccess', title: 'Sync success', target: (w) => `target ≥${NBSP}${formatTargetPercent(w.targets.syncSuccess.min)}` }
]

function criterionCell (criterion: CriterionName, window: { name: WindowName, label: string }, w: StatsWindow): CriterionCell {
  const common = { criterion, window: window.name, windowLabel: window.label, met: w.targets[criterion].met }
  if (criterion === 'errorRate') {
    const detail = w.requests === 0 ? 'no requests' : `5xx: ${formatCount(w.serverErrors)} of ${formatCount(w.requests)}`
    return { ...common, value: formatErrorRate(w.errorRate), numeric: true, detail }
  }
  const settled = w.synced + w.failed
  const detail = settled === 0 ? 'nothing settled' : `synced ${formatCount(w.synced)} of ${formatCount(settled)}`
  return { ...common, value: formatSyncSuccess(w.syncSuccess), numeric: w.syncSuccess !== null, detail }
}

function allCells (view: StatusView): CriterionCell[] {
  return CRITERIA.flatMap((c) => WINDOWS.map((window) => criterionCell(c.name, window, view.windows[window.name])))
}

function renderCell (cell: CriterionCell): Html {
  const verdict = cell.met ? 'PASS' : 'FAIL'
  const tone = cell.met ? 'pass' : 'fail'
  return html`<div class="cell ${tone}" data-criterion="${cell.criterion}" data-window="${cell.window}" data-met="${String(cell.met)}">
<div class="cell-head"><span class="window">${cell.windowLabel}</span><span class="badge" data-verdict>${cell.met ? '✓' : '✕'} ${verdict}</span></div>
<div class="value${cell.numeric ? '' : ' quiet'}">${cell.numeric ? withSmallUnits(cell.value) : cell.value}</div>
<div class="detail">${cell.detail}</div>
</div>`
}

function renderCriteria (view: StatusView, cells: CriterionCell[]): Html {
  const cards = CRITERIA.map((c) => html`<section class="card criterion" aria-labelledby="criterion-${c.name}">
<h2 id="criterion-${c.name}">${c.title} <span class="target">${c.target(view.windows['24h'])}</span></h2>
<div class="cells">${cells.filter((cell) => cell.criterion === c.name).map(renderCell)}</div>
</section>`)
  return html`<div class="criteria">${cards}</div>`
}

/** One line for the top of the page: everything fine, or which criterion fails where. */
function renderVerdict (cells: CriterionCell[]): Html {
  const failing = cells.filter((cell) => !cell.met)
  if (failing.length === 0) {
    return html`<div class="verdict pass" data-overall="pass"><span class="verdict-mark">✓</span> Both criteria met, last hour and last 24 h</div>`
  }
  const titles = failing.map((cell) => `${CRITERIA.find((c) => c.name === cell.criterion)!.title.toLowerCase()} (${cell.windowLabel.toLowerCase()})`)
  const what = titles.join(', ')
  return html`<div class="verdict fail" data-overall="fail"><span class="verdict-mark">✕</span> Off target: ${what}</div>`
}

// ---------------------------------------------------------------------------------------------
// The queue, HubSpot and the windows' other figures

function renderQueue (queue: StatusView['queue']): Html {
  const oldest = queue.oldestPendingSeconds === null ? '—' : formatDuration(queue.oldestPendingSeconds)
  return html`<section class="card" aria-labelledby="queue-title">
<h2 id="queue-title">Queue</h2>
<dl class="tiles">
<div class="tile" data-queue="pending"><dt>Pending</dt><dd>${formatCount(queue.pending)}</dd></div>
<div class="tile" data-queue="oldest"><dt>Oldest pending</dt><dd>${withSmallUnits(oldest)}</dd></div>
<div class="tile${queue.failed > 0 ? ' warn' : ''}" data-queue="failed"><dt>Failed, to replay</dt><dd>${formatCount(queue.failed)}</dd></div>
</dl>
</section>`
}

const HUBSPOT_STATES: Record<string, { label: string, tone: 'ok' | 'warn' | 'bad' }> = {
  ok: { label: 'OK', tone: 'ok' },
  rate_limited: { label: 'Rate limited', tone: 'warn' },
  not_configured: { label: 'Not configured', tone: 'warn' },
  unknown: { label: 'Unknown: no call yet', tone: 'warn' },
  unauthorized: { label: 'Unauthorized: check the token', tone: 'bad' },
  forbidden: { label: 'Forbidden: check the scopes', tone: 'bad' },
  unreachable: { label: 'Unreachable', tone: 'bad' }
}

function renderHubSpot (hubspot: StatusView['hubspot'], generatedAt: string): Html {
  // A state this page does not know yet still shows, as itself, in amber
  const state = HUBSPOT_STATES[hubspot.state] ?? { label: hubspot.state, tone: 'warn' }
  const at = hubspot.lastSuccessAt
  const lastSuccess = at === null
    ? html`<span class="muted">never</span>`
    : html`<time datetime="${at}">${formatTime(at)}</time> <span class="muted">${formatAgo(at, generatedAt)}</span>`
  const lastError = hubspot.lastError === null ? html`<span class="muted">none</span>` : html`<code>${hubspot.lastError}</code>`
  return html`<section class="card" aria-labelledby="hubspot-title">
<h2 id="hubspot-title">HubSpot</h2>
<p class="state ${state.tone}" data-hubspot-state="${hubspot.state}"><span class="dot" aria-hidden="true"></span>${state.label}</p>
<dl class="pairs">
<div><dt>Last success</dt><dd data-field="lastSuccessAt">${lastSuccess}</dd></div>
<div><dt>Last error</dt><dd data-field="lastError" class="error-text">${lastError}</dd></div>
</dl>
</section>`
}

type Figure = { label: string, value: (w: StatsWindow) => string }

const FIGURES: ReadonlyArray<{ group: string, rows: Figure[] }> = [
  {
    group: 'Intake',
    rows: [
      { label: 'Accepted (202)', value: (w) => formatCount(w.accepted) },
      { label: 'API requests', value: (w) => formatCount(w.requests) },
      { label: '5xx answers', value: (w) => formatCount(w.serverErrors) }
    ]
  },
  {
    group: 'Sync',
    rows: [
      { label: 'Synced', value: (w) => formatCount(w.synced) },
      { label: 'Failed', value: (w) => formatCount(w.failed) },
      { label: '202 → synced p50', value: (w) => formatMs(w.latencyMs.p50) },
      { label: '202 → synced p99', value: (w) => formatMs(w.latencyMs.p99) }
    ]
  },
  {
    group: 'HubSpot',
    rows: [
      { label: 'Calls', value: (w) => formatCount(w.hubspot.calls) },
      { label: '429 answers', value: (w) => formatCount(w.hubspot.rateLimited) },
      { label: 'Errors', value: (w) => formatCount(w.hubspot.errors) }
    ]
  }
]

function renderFigureGroup (windows: StatusView['windows'], group: typeof FIGURES[number]): Html {
  const rows = group.rows.map((f) => html`<tr><th scope="row">${f.label}</th>${WINDOWS.map((w) => html`<td>${f.value(windows[w.name])}</td>`)}</tr>`)
  return html`<tbody><tr class="group"><th scope="rowgroup" colspan="${WINDOWS.length + 1}">${group.group}</th></tr>${rows}</tbody>`
}

function renderFigures (windows: StatusView['windows']): Html {
  return html`<section class="card" aria-labelledby="figures-title">
<h2 id="figures-title">Figures</h2>
<table class="figures">
<thead><tr><th scope="col"><span class="visually-hidden">Figure</span></th>${WINDOWS.map((w) => html`<th scope="col">${w.label}</th>`)}</tr></thead>
${FIGURES.map((group) => renderFigureGroup(windows, group))}
</table>
</section>`
}

// ---------------------------------------------------------------------------------------------
// The chart: 24 hours, the current one last; per hour a bar of accepted and one of synced with
// failed on top. x in percent and y in pixels, so that it spans any width without scaling its text;
// the gridlines' numbers in an SVG of their own beside it, where no bar covers them.

const CHART = { height: 220, top: 24, bottom: 192 } as const
const AXIS_WIDTH = 44
const PLOT_HEIGHT = CHART.bottom - CHART.top
const SLOT = 100 / 24
// Any hour with something in it stays visible next to one huge hour
const MIN_BAR_PX = 2

function percent (n: number): string {
  return `${Number(n.toFixed(3))}%`
}

/** Gridlines at round numbers: the step 1, 2 or 5 × 10ⁿ, at most five of them. */
export function chartScale (max: number): { top: number, step: number } {
  if (max <= 0) return { top: 0, step: 0 }
  const rough = max / 5
  const magnitude = 10 ** Math.floor(Math.log10(rough))
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!)
  return { top: Math.ceil(max / step) * step, step }
}

/** In tenths of a pixel, as written: a stack of rounded heights then ends where it should. */
function barHeight (value: number, top: number): number {
  if (value <= 0 || top === 0) return 0
  return Math.round(Math.max(MIN_BAR_PX, (value / top) * PLOT_HEIGHT) * 10) / 10
}

function hourLabel (iso: string): string {
  return iso.slice(11, 16)
}

function renderHour (hour: HourActivity, index: number, top: number): Html {
  const x = index * SLOT
  const accepted = barHeight(hour.accepted, top)
  const failed = barHeight(hour.failed, top)
  // Synced gives way when the minimum heights would push the stack past the top
  const synced = Math.min(barHeight(hour.synced, top), PLOT_HEIGHT - failed)
  const counts = `${formatCount(hour.accepted)} accepted, ${formatCount(hour.synced)} synced, ${formatCount(hour.failed)} failed`
  const bar = (kind: string, at: number, y: number, h: number) => h === 0
    ? html``
    : html`<rect class="${kind}" x="${percent(at)}" y="${y.toFixed(1)}" width="${percent(SLOT * 0.36)}" height="${h.toFixed(1)}" rx="1.5"/>`
  return html`<g data-hour="${hour.hour}" data-accepted="${hour.accepted}" data-synced="${hour.synced}" data-failed="${hour.failed}">
<title>${hourLabel(hour.hour)} UTC: ${counts}</title>
<rect class="hit" x="${percent(x)}" y="${CHART.top}" width="${percent(SLOT)}" height="${PLOT_HEIGHT}"/>
${bar('accepted', x + SLOT * 0.1, CHART.bottom - accepted, accepted)}${bar('synced', x + SLOT * 0.5, CHART.bottom - synced, synced)}${
  bar('failed', x + SLOT * 0.5, CHART.bottom - synced - failed, failed)}
</g>`
}

/** The gridlines' values and heights, the baseline's 0 first. */
function gridlines (scale: { top: number, step: number }): Array<{ value: number, y: string }> {
  const lines = [{ value: 0, y: String(CHART.bottom) }]
  for (let value = scale.step; scale.step > 0 && value <= scale.top; value += scale.step) {
    lines.push({ value, y: (CHART.bottom - (value / scale.top) * PLOT_HEIGHT).toFixed(1) })
  }
  return lines
}

function renderGrid (scale: { top: number, step: number }): Html {
  const line = ({ value, y }: { value: number, y: string }) =>
    html`<line class="${value === 0 ? 'baseline' : 'line'}" x1="0" x2="100%" y1="${y}" y2="${y}"/>`
  const lines = gridlines(scale).map(line)
  return html`<g class="grid" aria-hidden="true">${lines}</g>`
}

function renderAxis (scale: { top: number, step: number }): Html {
  const labels = gridlines(scale).map(({ value, y }) => html`<text x="${AXIS_WIDTH - 6}" y="${y}" dy="4">${formatAxisCount(value)}</text>`)
  return html`<svg class="axis" width="${AXIS_WIDTH}" height="${CHART.height}" aria-hidden="true">${labels}</svg>`
}

/** Every third hour of the day labelled; on a phone only every sixth (the CSS hides the rest). */
function renderHourLabels (hourly: HourActivity[]): Html {
  const labels = hourly.map((hour, index) => {
    const h = new Date(hour.hour).getUTCHours()
    // Not the first or last slot: a label centred there would be cut at the edge
    if (h % 3 !== 0 || index === 0 || index === hourly.length - 1) return html``
    const x = percent(index * SLOT + SLOT / 2)
    return html`<text class="${h % 6 === 0 ? 'major' : 'minor'}" x="${x}" y="${CHART.height - 8}">${hourLabel(hour.hour)}</text>`
  })
  return html`<g class="hours" aria-hidden="true">${labels}</g>`
}

function chartDescription (hourly: HourActivity[]): string {
  const total = (pick: (h: HourActivity) => number) => formatCount(hourly.reduce((sum, h) => sum + pick(h), 0))
  const busiest = hourly.reduce((best, h) => (h.accepted > best.accepted ? h : best), hourly[0])
  const peak = busiest && busiest.accepted > 0 ? `; busiest hour ${hourLabel(busiest.hour)} UTC with ${formatCount(busiest.accepted)} accepted` : ''
  return `Over the last 24 hours: ${total((h) => h.accepted)} accepted, ${total((h) => h.synced)} synced, ${total((h) => h.failed)} failed${peak}.`
}

function renderChart (hourly: HourActivity[]): Html {
  const max = Math.max(0, ...hourly.map((h) => Math.max(h.accepted, h.synced + h.failed)))
  const scale = chartScale(max)
  const empty = max === 0
    ? html`<text class="empty" x="50%" y="${CHART.top + PLOT_HEIGHT / 2}">No contacts in the last 24 hours</text>`
    : html``
  const nowX = percent((hourly.length - 1) * SLOT)
  return html`<section class="card chart-card" aria-labelledby="chart-heading">
<h2 id="chart-heading">Last 24 hours <span class="target">per hour, UTC</span></h2>
<div class="plot">${renderAxis(scale)}
<svg data-chart="hourly" class="chart" width="100%" height="${CHART.height}" role="img" aria-labelledby="chart-title chart-desc">
<title id="chart-title">Contacts accepted, synced and failed per hour over the last 24 hours</title>
<desc id="chart-desc">${chartDescription(hourly)}</desc>
<rect class="now" x="${nowX}" y="${CHART.top - 6}" width="${percent(SLOT)}" height="${PLOT_HEIGHT + 6}"/>
<text class="now-label" x="100%" y="${CHART.top - 10}">now</text>
${renderGrid(scale)}
<g class="bars">${hourly.map((hour, index) => renderHour(hour, index, scale.top))}</g>
${renderHourLabels(hourly)}${empty}
</svg>
</div>
<p class="legend"><span class="key accepted"></span>Accepted <span class="key synced"></span>Synced <span class="key failed"></span>Failed</p>
</section>`
}

// ---------------------------------------------------------------------------------------------
// The page

const DEPLOY_COLORS = new Set(['blue', 'green'])

function renderMeta (view: StatusView): Html {
  // Only a known color becomes a class: anything else is shown as text, never put in the CSS
  const colorClass = view.color !== null && DEPLOY_COLORS.has(view.color) ? view.color : 'none'
  return html`<dl class="meta">
<div><dt>Version</dt><dd data-field="version">${view.version}</dd></div>
<div><dt>Color</dt><dd data-field="color" class="deploy ${colorClass}"><span class="dot" aria-hidden="true"></span>${view.color ?? 'none'}</dd></div>
<div><dt>Up</dt><dd data-field="uptime">${formatDuration(view.uptimeSeconds)}</dd></div>
</dl>`
}

function favicon (pass: boolean): string {
  const fill = pass ? '%2316a34a' : '%23dc2626'
  return `data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Ccircle cx='8' cy='8' r='7' fill='${fill}'/%3E%3C/svg%3E`
}

/**
 * GET /status's page: whole and alone (inline CSS and SVG, no script, no other request but the
 * page's own refresh), so that it works from the internal network with nothing else reachable.
 */
export function renderStatusPage (view: StatusView): string {
  const cells = allCells(view)
  const pass = cells.every((cell) => cell.met)
  return '<!doctype html>\n' + html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="${REFRESH_SECONDS}">
<meta name="color-scheme" content="light dark">
<title>${pass ? 'PASS' : 'FAIL'} · contact-sync status</title>
<link rel="icon" href="${favicon(pass)}">
<style>${new Html(CSS)}</style>
</head>
<body>
<main>
<header class="top">
<div class="title"><h1>contact-sync</h1>${renderMeta(view)}</div>
${renderVerdict(cells)}
</header>
${renderCriteria(view, cells)}
${renderChart(view.hourly)}
<div class="columns">
<div class="stack">
${renderQueue(view.queue)}
${renderHubSpot(view.hubspot, view.generatedAt)}
</div>
${renderFigures(view.windows)}
</div>
<footer><span>Generated <time datetime="${view.generatedAt}" data-field="generatedAt">${formatTime(view.generatedAt)}</time></span>
· <span>refreshes every ${REFRESH_SECONDS}${NBSP}s</span></footer>
</main>
</body>
</html>
`.text
}

const CSS = `
:root {
  --bg: #f3f4f6; --card: #fff; --ink: #111827; --muted: #5b6473; --line: #e5e7eb; --grid: #eceef1;
  --pass: #166534; --pass-bg: #dcfce7; --pass-edge: #86efac;
  --fail: #b91c1c; --fail-bg: #fee2e2; --fail-edge: #fca5a5;
  --warn: #92400e; --warn-bg: #fef3c7;
  --accepted: #94a3b8; --synced: #16a34a; --failed: #dc2626; --now: #eef2ff;
  --blue: #2563eb; --green: #16a34a;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0b0d12; --card: #161a22; --ink: #e5e7eb; --muted: #9aa3b2; --line: #262b36; --grid: #222733;
    --pass: #4ade80; --pass-bg: #0f2a1a; --pass-edge: #166534;
    --fail: #f87171; --fail-bg: #2f1214; --fail-edge: #7f1d1d;
    --warn: #fbbf24; --warn-bg: #2b2110;
    --accepted: #64748b; --synced: #22c55e; --failed: #ef4444; --now: #1b2030;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 16px; display: grid; gap: 16px; }
h1 { font-size: 20px; margin: 0; letter-spacing: -0.01em; }
h2 { font-size: 13px; margin: 0 0 12px; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); font-weight: 650; }
h2 .target { text-transform: none; letter-spacing: 0; font-weight: 500; margin-left: 6px; }
dl, dd { margin: 0; }
code { font: 13px/1.4 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.muted { color: var(--muted); }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 12px; padding: 16px; min-width: 0; }
.top { display: grid; gap: 12px; }
.title { display: flex; flex-wrap: wrap; align-items: baseline; justify-content: space-between; gap: 8px 16px; }
.meta { display: flex; flex-wrap: wrap; gap: 6px 16px; font-size: 14px; }
.meta div { display: flex; gap: 6px; }
.meta dt { color: var(--muted); }
.meta dd { font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.deploy .dot, .state .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; background: var(--muted); }
.deploy.blue { color: var(--blue); } .deploy.blue .dot { background: var(--blue); }
.deploy.green { color: var(--green); } .deploy.green .dot { background: var(--green); }
.verdict { border-radius: 12px; padding: 14px 16px; font-size: 18px; font-weight: 650; border: 1px solid; }
.verdict.pass { background: var(--pass-bg); color: var(--pass); border-color: var(--pass-edge); }
.verdict.fail { background: var(--fail-bg); color: var(--fail); border-color: var(--fail-edge); }
.verdict-mark { margin-right: 4px; }
.criteria { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); }
.cells { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.cell { border-radius: 10px; padding: 12px; border: 1px solid; min-width: 0; }
.cell.pass { background: var(--pass-bg); border-color: var(--pass-edge); }
.cell.fail { background: var(--fail-bg); border-color: var(--fail-edge); }
.cell-head { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 4px; }
.window { font-size: 13px; color: var(--muted); font-weight: 600; }
.badge { font-size: 13px; font-weight: 750; letter-spacing: 0.04em; padding: 2px 8px; border-radius: 999px; color: #fff; }
.pass .badge { background: var(--pass); } .fail .badge { background: var(--fail); }
@media (prefers-color-scheme: dark) { .badge { color: #0b0d12; } }
.value { font-size: 34px; font-weight: 700; line-height: 1.15; margin-top: 8px; font-variant-numeric: tabular-nums; letter-spacing: -0.02em; }
/* Words where a figure would be: smaller, on the figure's line height, so the cells stay level */
.value.quiet { font-size: 22px; letter-spacing: 0; line-height: 39px; }
.unit { font-size: 0.6em; font-weight: 600; letter-spacing: 0; }
.pass .value { color: var(--pass); } .fail .value { color: var(--fail); }
.detail { font-size: 13px; color: var(--muted); margin-top: 2px; }
.columns { display: grid; gap: 16px; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); align-items: start; }
.stack { display: grid; gap: 16px; min-width: 0; }
.tiles { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: 10px; }
.tile { background: var(--bg); border-radius: 10px; padding: 10px; min-width: 0;
  display: flex; flex-direction: column; justify-content: space-between; gap: 4px; }
.tile dt { font-size: 13px; color: var(--muted); }
.tile dd { font-size: 24px; font-weight: 700; font-variant-numeric: tabular-nums; }
.tile.warn { background: var(--warn-bg); } .tile.warn dd { color: var(--warn); }
.state { margin: 0 0 12px; font-size: 18px; font-weight: 700; display: flex; align-items: center; }
.state .dot { width: 12px; height: 12px; }
.state.ok { color: var(--pass); } .state.ok .dot { background: var(--synced); }
.state.warn { color: var(--warn); } .state.warn .dot { background: #f59e0b; }
.state.bad { color: var(--fail); } .state.bad .dot { background: var(--failed); }
.pairs { display: grid; gap: 8px; }
.pairs dt { font-size: 13px; color: var(--muted); }
.error-text { overflow-wrap: anywhere; }
.plot { display: grid; grid-template-columns: auto minmax(0, 1fr); }
.chart, .axis { display: block; overflow: hidden; }
.axis text { font-size: 11px; fill: var(--muted); text-anchor: end; font-variant-numeric: tabular-nums; }
.chart .grid line { stroke: var(--grid); stroke-width: 1; }
.chart .grid .baseline { stroke: var(--muted); }
.chart .hours text { font-size: 11px; fill: var(--muted); text-anchor: middle; }
.chart .now-label { font-size: 11px; fill: var(--muted); text-anchor: end; font-weight: 600; }
.chart .now { fill: var(--now); }
.chart .empty { font-size: 14px; fill: var(--muted); text-anchor: middle; }
.chart .hit { fill: transparent; }
.chart g[data-hour]:hover .hit { fill: var(--grid); }
.chart .accepted { fill: var(--accepted); } .chart .synced { fill: var(--synced); } .chart .failed { fill: var(--failed); }
.legend { margin: 8px 0 0; font-size: 13px; color: var(--muted); display: flex; flex-wrap: wrap; gap: 4px 14px; align-items: center; }
.key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: -8px; vertical-align: -1px; }
.key.accepted { background: var(--accepted); } .key.synced { background: var(--synced); } .key.failed { background: var(--failed); }
.figures { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
.figures th, .figures td { padding: 7px 0; border-top: 1px solid var(--line); text-align: right; }
.figures thead th { border-top: 0; font-size: 13px; color: var(--muted); font-weight: 600; }
.figures th[scope=row] { text-align: left; font-weight: 500; color: var(--muted); }
.figures td { font-weight: 600; padding-left: 12px; }
.figures .group th { text-align: left; font-size: 12px; font-weight: 650; text-transform: uppercase; letter-spacing: 0.06em;
  color: var(--ink); padding-top: 16px; border-top: 0; }
.figures tbody:first-of-type .group th { padding-top: 4px; }
footer { font-size: 13px; color: var(--muted); text-align: center; padding-bottom: 8px; }
footer span { white-space: nowrap; }
@media (max-width: 600px) {
  main { padding: 12px; gap: 12px; }
  .card { padding: 14px; }
  .criteria, .columns { grid-template-columns: 1fr; gap: 12px; }
  .value { font-size: 28px; }
  .value.quiet { font-size: 17px; line-height: 32px; }
  .detail { font-size: 12px; }
  .cell { padding: 10px; }
  .cell-head { flex-direction: column; align-items: flex-start; gap: 6px; }
  .chart .hours .minor { display: none; }
  .tiles { grid-template-columns: 1fr; gap: 8px; }
  .tile { flex-direction: row; align-items: baseline; justify-content: space-between; padding: 8px 12px; }
  .tile dt { font-size: 14px; }
  .tile dd { font-size: 20px; }
}
`

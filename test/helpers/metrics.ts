import parsePrometheusTextFormat, { type PrometheusFamily } from 'parse-prometheus-text-format'

/** /metrics parsed by a Prometheus text-format parser, with the sum of a series over the samples whose labels match. */
export function parseMetrics (text: string): { families: PrometheusFamily[], total: (name: string, labels?: Record<string, string | RegExp>) => number } {
  const families = parsePrometheusTextFormat(text)
  return {
    families,
    total (name, labels = {}) {
      const family = families.find((f) => f.name === name)
      if (!family) throw new Error(`no metric ${name}`)
      return family.metrics
        .filter((sample) => Object.entries(labels).every(([key, want]) => {
          const value = sample.labels?.[key] ?? ''
          return typeof want === 'string' ? value === want : want.test(value)
        }))
        .reduce((sum, sample) => sum + Number(sample.value ?? sample.count ?? 0), 0)
    }
  }
}

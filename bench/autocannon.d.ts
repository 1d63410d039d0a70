// The parts of autocannon 9 the bench uses: the package ships no types
declare module 'autocannon' {
  interface Histogram { average: number, p50: number, p90: number, p99: number, max: number, total: number }
  interface RawRequest { method?: string, path?: string, headers?: Record<string, string>, body?: string }
  export interface Options {
    url: string
    connections?: number
    duration?: number
    amount?: number
    overallRate?: number
    timeout?: number
    method?: string
    headers?: Record<string, string>
    requests?: Array<RawRequest & {
      setupRequest?: (request: RawRequest, context: object) => RawRequest
      onResponse?: (status: number, body: string) => void
    }>
  }
  export interface Result {
    requests: Histogram
    latency: Histogram
    duration: number
    errors: number
    timeouts: number
    non2xx: number
    '2xx': number
  }
  export default function autocannon (options: Options): Promise<Result>
}

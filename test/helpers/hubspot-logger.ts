import type { HubSpotLogger } from '../../src/hubspot/client.ts'

/** A pino-shaped logger that keeps every line as the JSON pino would write. */
export function createRecordingLogger (): HubSpotLogger & { lines: string[] } {
  const lines: string[] = []
  const record = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push(JSON.stringify({ level, ...fields, msg: message }))
  }
  return { lines, debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') }
}

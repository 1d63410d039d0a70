import { Type } from 'typebox'

const Count = Type.Integer({ minimum: 0 })
const NullableNumber = Type.Union([Type.Number(), Type.Null()])

export const StatsWindowReply = Type.Object({
  accepted: Count,
  requests: Type.Integer({ minimum: 0, description: 'API requests answered (under /v1 and /api)' }),
  serverErrors: Count,
  errorRate: Type.Number({ description: '5xx share of the API requests answered' }),
  synced: Count,
  failed: Count,
  syncSuccess: Type.Union([Type.Number(), Type.Null()], { description: 'synced / (synced + failed); null when nothing was settled' }),
  latencyMs: Type.Object({ p50: NullableNumber, p99: NullableNumber }, { description: 'from the 202 to the contact in HubSpot' }),
  hubspot: Type.Object({ calls: Count, rateLimited: Count, errors: Count }),
  targets: Type.Object({
    errorRate: Type.Object({ max: Type.Number(), met: Type.Boolean() }),
    syncSuccess: Type.Object({ min: Type.Number(), met: Type.Boolean() })
  })
})

export const StatsReply = Type.Object({
  windows: Type.Object({ '1h': StatsWindowReply, '24h': StatsWindowReply }),
  hourly: Type.Array(Type.Object({ hour: Type.String({ format: 'date-time' }), accepted: Count, synced: Count, failed: Count }), {
    description: 'the last 24 hours, oldest first'
  }),
  queue: Type.Object({ pending: Count, failed: Count, oldestPendingSeconds: NullableNumber }),
  generatedAt: Type.String({ format: 'date-time' })
})

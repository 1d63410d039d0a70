import type { Sql } from '../db/client.ts'
import { readWithin } from '../db/unavailable.ts'
import { findRequest, replayFailedRequests, type NewRequest, type RequestState } from '../store/requests-table.ts'
import { uuidV7 } from '../lib/uuid-v7.ts'

export type SingleReplay =
  | { replayed: NewRequest }
  /** Not failed: already replayed (as `state.replayedAs`), or queued or synced */
  | { refused: RequestState }
  | { unknown: true }

export interface Replayer {
  /** Sends one failed request again as a new request; a request is replayed once. */
  replayOne: (id: string) => Promise<SingleReplay>
  /** Sends every matching failed request again; resolves to how many. */
  replayMatching: (filter: { errorContains?: string, since?: Date }) => Promise<number>
}

export interface ReplayerDeps {
  sql: Sql
  /** Wakes the sync once new requests are committed. */
  queued: () => void
  /** Failed requests replayed per transaction (each reads contact_requests once for later requests). */
  chunkSize: number
  readDeadlineMs: number
}

export function createReplayer (deps: ReplayerDeps): Replayer {
  return {
    async replayOne (id) {
      const [replay] = await replayFailedRequests(deps.sql, { id }, 1, uuidV7)
      if (replay) {
        deps.queued()
        return { replayed: replay.request }
      }
      const state = await readWithin(findRequest(deps.sql, id), deps.readDeadlineMs)
      return state === undefined ? { unknown: true } : { refused: state }
    },

    async replayMatching (filter) {
      // Replays that fail again while this runs are left for the next call: only what failed before it is taken
      const [{ startedAt }] = await deps.sql<Array<{ startedAt: Date }>>`SELECT clock_timestamp() AS "startedAt"`
      let total = 0
      for (;;) {
        const replays = await replayFailedRequests(deps.sql, { ...filter, createdBefore: startedAt }, deps.chunkSize, uuidV7)
        if (replays.length === 0) break
        total += replays.length
        deps.queued()
      }
      return total
    }
  }
}

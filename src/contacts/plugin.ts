import fp from 'fastify-plugin'
import { HOT_PATH_STATEMENTS, KEYED_TRANSACTIONS } from '../db/index.ts'
import { readWithin } from '../db/unavailable.ts'
import { findRequest, listRequests, type RequestState } from '../store/requests-table.ts'
import { createIntake, type Intake } from './intake.ts'
import { createIdempotentIntake, type IdempotentIntake } from './idempotent-intake.ts'
import { createContactSearch, type ContactView } from './search.ts'
import { createReplayer, type Replayer } from './replay.ts'

/** What the contact routes run on. */
export interface ContactServices {
  intake: Intake
  /** Posts with an Idempotency-Key: stored once per key and API key, in a transaction of their own. */
  idempotentIntake: IdempotentIntake
  findContact: (email: string) => Promise<ContactView | null>
  /** A request's state; DatabaseUnavailableError when the database does not answer in time. */
  readRequest: (id: string) => Promise<RequestState | undefined>
  /** Settled requests of a status, newest first, a page at a time. */
  listRequests: (query: Parameters<typeof listRequests>[1]) => ReturnType<typeof listRequests>
  /** Failed requests sent again as new requests. */
  replay: Replayer
}

declare module 'fastify' {
  interface FastifyInstance {
    contacts: ContactServices
  }
}

// The contract: a 503 comes within 2 s when the database is unreachable (reads alike)
const INTAKE_DEADLINE_MS = 1500
const READ_DEADLINE_MS = 1500
// One commit out at a time: what arrives meanwhile goes in the next, so groups grow with the load.
// Each statement costs PostgreSQL a commit (about 0.5 ms of its CPU here) whatever its size: at
// 50 connections 4 in flight made groups of 10, one makes groups of 20–25 and took CPU per post
// (service + PostgreSQL) from 340–390 to 205–230 µs
const INTAKE_COMMITS_IN_FLIGHT = 1
// ... and the next group may wait this long for the callers the last one answered (see createTurnBatcher):
// groups of 22 -> 40-50 at 50 connections, and a durable commit costs PostgreSQL about 0.6 ms of CPU, its WAL flush included
const INTAKE_LINGER_MS = 2
// A contact HubSpot confirmed this recently is answered from the mirror; a not-found is remembered briefly
const MIRROR_FRESH_SECONDS = 10 * 60
const NOT_FOUND_REMEMBERED_SECONDS = 60
const REPLAY_CHUNK = 1000

/** Intake (group commit, keyed posts) and search, built once per process on the pool's budget. */
export default fp(async function contacts (fastify) {
  fastify.decorate<ContactServices>('contacts', {
    intake: createIntake(fastify.sql, {
      deadlineMs: INTAKE_DEADLINE_MS, maxInFlight: INTAKE_COMMITS_IN_FLIGHT, maxGroup: 500, lingerMs: INTAKE_LINGER_MS
    }),
    idempotentIntake: createIdempotentIntake(fastify.sql, { deadlineMs: INTAKE_DEADLINE_MS, maxInFlight: KEYED_TRANSACTIONS }),
    findContact: createContactSearch({
      sql: fastify.sql,
      hubspot: fastify.hubspot,
      properties: ['email', ...fastify.config.contactProperties],
      freshForSeconds: MIRROR_FRESH_SECONDS,
      notFoundForSeconds: NOT_FOUND_REMEMBERED_SECONDS,
      maxReadsInFlight: HOT_PATH_STATEMENTS,
      readDeadlineMs: READ_DEADLINE_MS
    }),
    readRequest: (id) => readWithin(findRequest(fastify.sql, id), READ_DEADLINE_MS),
    listRequests: (query) => readWithin(listRequests(fastify.sql, query), READ_DEADLINE_MS),
    replay: createReplayer({ sql: fastify.sql, queued: fastify.syncEvents.queued, chunkSize: REPLAY_CHUNK, readDeadlineMs: READ_DEADLINE_MS })
  })
}, { name: 'contacts', dependencies: ['config', 'database', 'hubspot', 'sync'] })

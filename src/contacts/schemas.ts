import { Type } from 'typebox'
import { ErrorReply } from '../http/schemas.ts'
import type { PropertyValue } from '../hubspot/contacts.ts'

const MAX_PROPERTY_LENGTH = 65_536
export const MAX_WAIT_SECONDS = 30

/** The upsert body; the allowed property names come from CONTACT_PROPERTIES. */
export function contactBody (allowedProperties: string[]) {
  return Type.Object({
    email: Type.String({ format: 'email', maxLength: 254 }),
    properties: Type.Optional(Type.Unsafe<Record<string, PropertyValue>>({
      type: 'object',
      propertyNames: { enum: [...new Set(['email', ...allowedProperties])] },
      additionalProperties: { type: ['string', 'number', 'boolean', 'null'], maxLength: MAX_PROPERTY_LENGTH }
    }))
  }, { additionalProperties: false })
}

export const QueuedReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Literal('queued'),
  email: Type.String()
})

export const SyncedReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Literal('synced'),
  email: Type.String(),
  hubspotId: Type.String(),
  created: Type.Boolean()
})

export const FailedReply = Type.Object({
  ...ErrorReply.properties,
  id: Type.String({ format: 'uuid' }),
  status: Type.Literal('failed'),
  email: Type.String()
})

export const RequestReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Union([Type.Literal('queued'), Type.Literal('syncing'), Type.Literal('synced'), Type.Literal('failed'), Type.Literal('replayed')]),
  email: Type.String(),
  attempts: Type.Integer(),
  hubspotId: Type.Optional(Type.String()),
  created: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String()),
  replayedAs: Type.Optional(Type.String({ format: 'uuid', description: 'the request that sent this one again' })),
  createdAt: Type.String({ format: 'date-time' }),
  syncedAt: Type.Optional(Type.String({ format: 'date-time' }))
})

export const ContactReply = Type.Object({
  email: Type.String(),
  hubspotId: Type.Union([Type.String(), Type.Null()]),
  properties: Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()])),
  syncStatus: Type.Union([Type.Literal('synced'), Type.Literal('pending')])
})

export const SearchQuery = Type.Object({
  email: Type.String({ format: 'email', maxLength: 254 })
})

export const RequestList = Type.Object({
  items: Type.Array(RequestReply),
  nextCursor: Type.Union([Type.String(), Type.Null()], { description: 'pass as cursor for the next page; null on the last' })
})

export const ListQuery = Type.Object({
  status: Type.Union([Type.Literal('failed'), Type.Literal('replayed')]),
  // A string: query values are not coerced (the service validates them as sent)
  limit: Type.Optional(Type.String({ pattern: '^[1-9][0-9]{0,2}$', description: '1–500, 100 by default' })),
  cursor: Type.Optional(Type.String({ maxLength: 200 }))
})

export const BulkReplayBody = Type.Object({
  status: Type.Literal('failed'),
  errorContains: Type.Optional(Type.String({ minLength: 1, maxLength: 500, description: 'a part of the error, any case' })),
  since: Type.Optional(Type.String({ format: 'date-time', description: 'only requests created at or after this' }))
}, { additionalProperties: false })

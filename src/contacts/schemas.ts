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
  status: Type.Union([Type.Literal('queued'), Type.Literal('syncing'), Type.Literal('synced'), Type.Literal('failed')]),
  email: Type.String(),
  attempts: Type.Integer(),
  hubspotId: Type.Optional(Type.String()),
  created: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String()),
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

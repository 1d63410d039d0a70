import { Type } from 'typebox'

/** Fastify's error shape, which every error reply of the service has (the contract's). */
export const ErrorReply = Type.Object({
  statusCode: Type.Integer(),
  error: Type.String(),
  message: Type.String(),
  code: Type.Optional(Type.String())
})

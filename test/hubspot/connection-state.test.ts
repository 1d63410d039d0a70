import t from 'tap'
import {
  CONNECTION_FAILURE_REASONS, HUBSPOT_STATES, HubSpotAuthError, HubSpotBusyError, HubSpotConflictError, HubSpotNotFoundError,
  HubSpotRateLimitError, HubSpotScopesError, HubSpotUnavailableError, HubSpotValidationError,
  connectionFailureReason, stateAfterFailure, type HubSpotError
} from '../../src/hubspot/errors.ts'

// [error, the connection's state after it (/health), a connection check's reason]
const CASES: Array<[HubSpotError, string | undefined, string | undefined]> = [
  [new HubSpotAuthError('no token', 'not_configured'), 'not_configured', 'not_configured'],
  [new HubSpotAuthError('expired', 'invalid_token', { status: 401 }), 'unauthorized', 'unauthorized'],
  [new HubSpotScopesError('403', ['crm.objects.contacts.write'], { status: 403 }), 'forbidden', 'missing_scopes'],
  [new HubSpotRateLimitError('429', { retryAfterMs: 1000 }, { status: 429 }), 'rate_limited', 'rate_limited'],
  [new HubSpotBusyError('no lookup slot', 1000), 'rate_limited', 'rate_limited'],
  [new HubSpotUnavailableError('503', { status: 503, retryable: true }), 'unreachable', 'unreachable'],
  // HubSpot answered and accepted the token: it refused the input, the connection is fine
  [new HubSpotValidationError('400', { status: 400 }), undefined, undefined],
  [new HubSpotConflictError('409', { status: 409 }), undefined, undefined],
  [new HubSpotNotFoundError('404', { status: 404 }), undefined, undefined]
]

for (const [error, state, reason] of CASES) {
  t.test(`${error.name} (${error.kind}): state ${state}, check reason ${reason}`, async (t) => {
    t.equal(stateAfterFailure(error), state)
    t.equal(connectionFailureReason(error), reason)
  })
}

t.test('the states and reasons listed in the contract', async (t) => {
  t.same([...HUBSPOT_STATES].sort(), ['forbidden', 'not_configured', 'ok', 'rate_limited', 'unauthorized', 'unknown', 'unreachable'])
  t.same([...CONNECTION_FAILURE_REASONS].sort(), ['missing_scopes', 'not_configured', 'rate_limited', 'unauthorized', 'unreachable'])
})

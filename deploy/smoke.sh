#!/usr/bin/env bash
# Smoke test of a running contact-sync, through nginx or straight at one color:
#   1. GET /health                      -> 200, status ready
#   2. POST /v1/contacts, Prefer: wait  -> 200 synced (stored, and upserted into HubSpot)
#   3. GET /v1/contacts?email=          -> 200 with that email
#   4. GET /v1/stats                    -> the runbook's criteria (error rate, sync success) printed
# Exits non-zero on the first failure, saying which step failed and what came back.
# Self-contained (needs bash and curl), so it can be copied to and run from any machine.
#
#   deploy/smoke.sh [BASE_URL]          BASE_URL default https://127.0.0.1 (SMOKE_URL, or API_BASE_URL)
#
# API key: SMOKE_API_KEY, else the first admin key of API_KEYS (bare or admin:) in ENV_FILE (default .env next to deploy/).
# SMOKE_INSECURE=1 accepts a certificate that does not match (default 1 for 127.0.0.1/localhost only).
# SMOKE_EMAIL: the contact to upsert (default smoke+<time>@example.com; it really lands in HubSpot).
# SMOKE_WAIT: seconds for "Prefer: wait" (default 10).
set -euo pipefail

BASE_URL=${1:-${SMOKE_URL:-${API_BASE_URL:-https://127.0.0.1}}}
BASE_URL=${BASE_URL%/}
ENV_FILE=${ENV_FILE:-$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)/.env}
SMOKE_WAIT=${SMOKE_WAIT:-10}
SMOKE_EMAIL=${SMOKE_EMAIL:-smoke+$(date +%s)-$$@example.com}
case "$BASE_URL" in
  https://127.0.0.1* | https://localhost* | https://\[::1\]*) SMOKE_INSECURE=${SMOKE_INSECURE:-1} ;;
  *) SMOKE_INSECURE=${SMOKE_INSECURE:-0} ;;
esac

fail () { printf 'SMOKE FAILED: %s\n' "$*" >&2; exit 1; }
pass () { printf 'ok   %s\n' "$*"; }

command -v curl >/dev/null 2>&1 || fail "curl is missing"

api_key=${SMOKE_API_KEY:-}
if [ -z "$api_key" ] && [ -r "$ENV_FILE" ]; then
  api_key=$(sed -nE 's/^[[:space:]]*API_KEYS[[:space:]]*=[[:space:]]*(.*)$/\1/p' "$ENV_FILE" | tail -n 1)
  api_key=${api_key%$'\r'}
  api_key=${api_key#[\"\']}
  api_key=${api_key%[\"\']}
  # The first admin key (a bare key, or admin:KEY): the smoke test also searches
  IFS=',' read -ra entries <<<"$api_key"
  api_key=''
  for entry in "${entries[@]}"; do
    entry=${entry//[[:space:]]/}
    case $entry in
      admin:*) api_key=${entry#admin:}; break ;;
      *:*|'') ;;
      *) api_key=$entry; break ;;
    esac
  done
fi
[ -n "$api_key" ] || fail "no admin API key: set SMOKE_API_KEY, or a bare or admin: key in API_KEYS in $ENV_FILE"

# request METHOD PATH [BODY] [EXTRA_HEADER]: sets CODE and BODY. The key reaches curl on stdin.
request () {
  local method=$1 path=$2 body=${3:-} extra=${4:-} out key
  local -a args=(-sS --stderr - --max-time $((SMOKE_WAIT + 10)) -X "$method" -w '\n%{http_code}' -H 'Accept: application/json')
  [ "$SMOKE_INSECURE" = 1 ] && args+=(-k)
  [ -n "$body" ] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  [ -n "$extra" ] && args+=(-H "$extra")
  key=${api_key//\\/\\\\}
  out=$(printf 'header = "Authorization: Bearer %s"\n' "${key//\"/\\\"}" | curl --config - "${args[@]}" "$BASE_URL$path") || true
  CODE=${out##*$'\n'}
  BODY=${out%$'\n'*}
  [ "$BODY" != "$out" ] || BODY=''
}
field () { sed -nE "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"?([^\",}]*)\"?.*/\\1/p" <<<"$BODY" | head -n 1; }
answer () { if [ "$CODE" = 000 ]; then echo "no answer: $BODY"; else echo "HTTP $CODE ${BODY:0:300}"; fi; }

printf 'smoke test of %s\n' "$BASE_URL"

request GET /health
[ "$CODE" = 200 ] || fail "GET /health: expected 200, got $(answer)"
[ "$(field status)" = ready ] || fail "GET /health: status is not ready: $(answer)"
pass "GET /health: ready, color $(field color), version $(field version), hubspot $(field state)"

request POST /v1/contacts "{\"email\":\"$SMOKE_EMAIL\",\"properties\":{\"firstname\":\"Smoke\",\"lastname\":\"Test\"}}" "Prefer: wait=$SMOKE_WAIT"
case "$CODE" in
  200) [ "$(field status)" = synced ] || fail "POST /v1/contacts: 200 but not synced: $(answer)" ;;
  202) fail "POST /v1/contacts: stored but not synced to HubSpot within ${SMOKE_WAIT}s (queue backed up or HubSpot unreachable? see GET /health): $(answer)" ;;
  *) fail "POST /v1/contacts: expected 200 synced, got $(answer)" ;;
esac
pass "POST /v1/contacts (Prefer: wait=$SMOKE_WAIT): $SMOKE_EMAIL synced, HubSpot id $(field hubspotId)"

request GET "/v1/contacts?email=$(sed 's/+/%2B/g; s/@/%40/g' <<<"$SMOKE_EMAIL")"
[ "$CODE" = 200 ] || fail "GET /v1/contacts?email=$SMOKE_EMAIL: expected 200, got $(answer)"
[ "$(field email)" = "$SMOKE_EMAIL" ] || fail "GET /v1/contacts?email=$SMOKE_EMAIL: another email came back: $(answer)"
pass "GET /v1/contacts?email=$SMOKE_EMAIL: found, sync status $(field syncStatus)"

# The runbook's two criteria, shown (not judged: the 24 hours after a deploy judge them)
# nth NAME N: the Nth numeric (or null) value of "NAME" in BODY; the windows come 1h, then 24h
nth () { grep -oE "\"$1\":(null|-?[0-9.eE+-]+)" <<<"$BODY" | sed -n "$2p" | cut -d: -f2; }
# met NAME N: the Nth "met" of NAME's target
met () { grep -oE "\"$1\":\{\"(max|min)\":[0-9.]+,\"met\":(true|false)" <<<"$BODY" | sed -n "$2p" | sed -E 's/.*"met":(true|false)/\1/; s/true/met/; s/false/NOT MET/'; }
percent () { if [ "$1" = null ]; then echo 'no syncs yet'; else awk -v v="$1" -v d="$2" 'BEGIN { printf "%.*f %%", d, v * 100 }'; fi; }
request GET /v1/stats
case "$CODE" in
  200)
    for n in 1 2; do
      window=$([ "$n" = 1 ] && echo 'last hour' || echo 'last 24 h')
      pass "GET /v1/stats, $window: error rate $(percent "$(nth errorRate "$n")" 2) (target ≤ 0.1 %: $(met errorRate "$n")), sync success $(percent "$(nth syncSuccess "$n")" 1) (target ≥ 95 %: $(met syncSuccess "$n"))"
    done ;;
  404) printf 'note GET /v1/stats: not served by this release, criteria not shown\n' ;;
  *) fail "GET /v1/stats: expected 200, got $(answer)" ;;
esac

printf 'smoke test passed\n'

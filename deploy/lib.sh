# shellcheck shell=bash
# Shared by deploy.sh and rollback.sh: settings, hooks, pre-flight checks and the nginx switch.
# Sourced, never run. Everything that touches Docker or nginx goes through a hook (a shell
# command line, the color as $1) so that the same switch code drives the compose stack in
# production and two plain `node src/server.ts` processes behind a local nginx in test/deploy.

DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
PROJECT_DIR=$(dirname -- "$DEPLOY_DIR")

ENV_FILE=${ENV_FILE:-$PROJECT_DIR/.env}

# ---------------------------------------------------------------- .env (read, never sourced)
env_value () { # NAME [DEFAULT]: the last NAME=value line of ENV_FILE, quotes stripped
  local value=''
  if [ -r "$ENV_FILE" ]; then
    value=$(sed -nE "s/^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=[[:space:]]*(.*)$/\\2/p" "$ENV_FILE" | tail -n 1)
    value=${value%$'\r'}
    if [[ $value =~ ^\"(.*)\"$ ]] || [[ $value =~ ^\'(.*)\'$ ]]; then value=${BASH_REMATCH[1]}; fi
  fi
  echo "${value:-${2:-}}"
}
# ---------------------------------------------------------------- settings (environment)
# The folder nginx reads its configuration from (mounted at NGINX_SEES_DIR in the nginx container)
NGINX_DIR=${NGINX_DIR:-$DEPLOY_DIR/nginx}
NGINX_SEES_DIR=${NGINX_SEES_DIR:-/etc/nginx/contact-sync}
UPSTREAMS_FILE=$NGINX_DIR/upstreams.conf
# While this file exists nginx sends every request to green, else to blue (nginx.conf)
GREEN_MARKER=$NGINX_DIR/active-green
# Not tracked by git: the lock and the release history (which image each color served)
STATE_DIR=${STATE_DIR:-$DEPLOY_DIR/state}
RELEASES_FILE=$STATE_DIR/releases
SECRETS_DIR=${SECRETS_DIR:-$PROJECT_DIR/secrets}
# DOMAIN (the seed's name, in the environment or .env) is nginx's server_name, and its certificate
# is CERTS_DIR/$DOMAIN/ (certbot's live/<domain> layout); compose.yaml gives nginx the same. Unset:
# server_name _ and the certificate in CERTS_DIR itself.
DOMAIN=${DOMAIN:-$(env_value DOMAIN)}
CERTS_DIR=${CERTS_DIR:-$DEPLOY_DIR/certs}
TLS_CERT=${TLS_CERT:-$CERTS_DIR/${DOMAIN:+$DOMAIN/}fullchain.pem}
TLS_KEY=${TLS_KEY:-$CERTS_DIR/${DOMAIN:+$DOMAIN/}privkey.pem}
READY_TIMEOUT=${READY_TIMEOUT:-300}
READY_INTERVAL=${READY_INTERVAL:-5}
VERIFY_TIMEOUT=${VERIFY_TIMEOUT:-30}
# After the switch the old color keeps running this long: the requests it holds finish (a
# "Prefer: wait=30" upsert may take 30 s), it stays nginx's backup, and the new color's error
# rate is watched meanwhile (MAX_ERROR_RATE: above it, traffic goes back to the old color).
DRAIN_SECONDS=${DRAIN_SECONDS:-30}
MAX_ERROR_RATE=${MAX_ERROR_RATE:-0.001}
MIN_FREE_GB=${MIN_FREE_GB:-5}
if [ -z "${DISK_CHECK_PATH:-}" ]; then
  if [ -d /var/lib/docker ]; then DISK_CHECK_PATH=/var/lib/docker; else DISK_CHECK_PATH=$PROJECT_DIR; fi
fi

# Where nginx sends each color: fixed addresses on the compose network (compose.yaml: BLUE_IP,
# GREEN_IP), so that both upstream groups load whether or not a color runs. Where this script
# reaches each color directly: compose publishes them on loopback only (127.0.0.1:3001 / :3002).
UPSTREAM_BLUE=${UPSTREAM_BLUE:-$(sed -nE 's/^[[:space:]]*BLUE_IP[[:space:]]*=[[:space:]]*"?([0-9.]+)"?[[:space:]]*$/\1/p' "$ENV_FILE" 2>/dev/null | tail -n 1 | grep . || echo 172.30.42.11):3000}
UPSTREAM_GREEN=${UPSTREAM_GREEN:-$(sed -nE 's/^[[:space:]]*GREEN_IP[[:space:]]*=[[:space:]]*"?([0-9.]+)"?[[:space:]]*$/\1/p' "$ENV_FILE" 2>/dev/null | tail -n 1 | grep . || echo 172.30.42.12):3000}
# The public entry, checked on loopback; -k because the certificate names the public host, not 127.0.0.1
# (API_BASE_URL, the seed's name, in the environment or .env, is the same setting)
NGINX_URL=${NGINX_URL:-${API_BASE_URL:-$(sed -nE 's/^[[:space:]]*API_BASE_URL[[:space:]]*=[[:space:]]*"?([^"[:space:]]+)"?[[:space:]]*$/\1/p' "$ENV_FILE" 2>/dev/null | tail -n 1 | grep . || echo https://127.0.0.1)}}
NGINX_URL=${NGINX_URL%/}
NGINX_INSECURE=${NGINX_INSECURE:-1}

# ---------------------------------------------------------------- hooks (shell command lines, color in $1)
# `docker compose` (v2) where it exists, else docker-compose 1.29; the project name is fixed
# (1.29 rejects compose.yaml's `name:`). APP_IMAGE is exported to the hooks that create a color.
COMPOSE_PROJECT=${COMPOSE_PROJECT_NAME:-contact-sync}
if [ -z "${COMPOSE_CMD:-}" ]; then
  if docker compose version >/dev/null 2>&1; then COMPOSE_CMD='docker compose'; else COMPOSE_CMD='docker-compose'; fi
  COMPOSE_CMD="$COMPOSE_CMD -p $COMPOSE_PROJECT --project-directory $(printf '%q' "$PROJECT_DIR")"
  [ -n "${COMPOSE_FILE:-}" ] || COMPOSE_CMD="$COMPOSE_CMD -f $(printf '%q' "$PROJECT_DIR/compose.yaml")"
fi
NGINX_ARGS=${NGINX_ARGS:--p /var/cache/nginx/ -c /etc/nginx/contact-sync/nginx.conf}
# A service's container ids (docker's own filter: the same with compose v1 and v2)
CONTAINERS="docker ps --no-trunc --filter label=com.docker.compose.project=$COMPOSE_PROJECT --filter label=com.docker.compose.service"
DEFAULT_HOOKS=()
default_hook () { # NAME VALUE: sets NAME to VALUE unless the environment set it
  if [ -z "${!1:-}" ]; then printf -v "$1" '%s' "$2"; DEFAULT_HOOKS+=("$1"); fi
}
default_hook APP_BUILD_CMD "docker build ${DOCKER_BUILD_ARGS:-} -t \"\$APP_IMAGE\" $(printf '%q' "$PROJECT_DIR")"
# one-shot: the new image's migrations with lock_timeout (compose.yaml: migrate; deploy/image/migrate.ts)
default_hook APP_MIGRATE_CMD "$COMPOSE_CMD run --rm --no-deps -T migrate"
# deploy and rollback: (re)create the color from APP_IMAGE
default_hook APP_START_CMD "$COMPOSE_CMD up -d --no-deps \"app_\$1\""
# rollback: start the container a deploy stopped and kept, when it has the right image
default_hook APP_RESUME_CMD "$COMPOSE_CMD start \"app_\$1\""
# SIGTERM, and SIGKILL after compose's stop_grace_period (15 s); the container is kept
default_hook APP_STOP_CMD "$COMPOSE_CMD stop \"app_\$1\""
default_hook APP_RUNNING_CMD "test -n \"\$($CONTAINERS=app_\$1 -q --filter status=running)\""
# the image of the color's container, running or not; nothing when it has none
default_hook APP_IMAGE_OF_CMD "for id in \$($CONTAINERS=app_\$1 -aq); do docker inspect -f '{{.Config.Image}}' \"\$id\"; done | head -n 1"
default_hook NGINX_TEST_CMD "$COMPOSE_CMD exec -T nginx nginx $NGINX_ARGS -t -q"
default_hook NGINX_RELOAD_CMD "$COMPOSE_CMD exec -T nginx nginx $NGINX_ARGS -s reload"
# nginx's access log (JSON lines, deploy/nginx/nginx.conf) since the time in $1 (UTC, RFC 3339)
default_hook NGINX_LOG_CMD "for id in \$($CONTAINERS=nginx -q); do docker logs --since \"\$1\" \"\$id\" 2>/dev/null; done"

DRY_RUN=${DRY_RUN:-0}
STEP=0
STEPS=0
now_ms () { # GNU date has %N; elsewhere whole seconds
  local now
  now=$(date +%s%3N)
  if [[ $now =~ ^[0-9]+$ ]]; then echo "$now"; else echo "$(( $(date +%s) * 1000 ))"; fi
}
STARTED_AT_MS=$(now_ms)

# ---------------------------------------------------------------- output
elapsed () { local ms=$(( $(now_ms) - STARTED_AT_MS )); printf '%d.%ds\n' $((ms / 1000)) $((ms % 1000 / 100)); }
# STEP_HOOK_CMD (tests; default none): a shell command line run as each step of deploy.sh and
# rollback.sh begins, before it acts, with the step's number as $1 and its title as $2 ($PPID is the
# script): test/deploy/containers-kill.test.ts kill -9s the script there. Its exit status is ignored.
step () {
  STEP=$((STEP + 1))
  printf '\n==> [%s/%s] %s   (+%s)\n' "$STEP" "$STEPS" "$*" "$(elapsed)"
  [ -z "${STEP_HOOK_CMD:-}" ] || bash -c "$STEP_HOOK_CMD" STEP_HOOK_CMD "$STEP" "$*" || true
}
say () { printf '    %s\n' "$*"; }
warn () { printf '    WARNING: %s\n' "$*" >&2; }
die () { printf '\nERROR: %s\n' "$*" >&2; exit 1; }
is_dry () { [ "$DRY_RUN" = 1 ]; }

require_number () { # NAME VALUE [integer]
  if [ "${3:-}" = integer ]; then
    [[ $2 =~ ^[0-9]+$ ]] || die "$1 must be a whole number of seconds, got '$2'"
  else
    [[ $2 =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "$1 must be a number of seconds, got '$2'"
  fi
}

# ---------------------------------------------------------------- colors
other_color () { if [ "$1" = blue ]; then echo green; else echo blue; fi; }
upstream_of () { if [ "$1" = blue ]; then echo "$UPSTREAM_BLUE"; else echo "$UPSTREAM_GREEN"; fi; }
color_url () {
  if [ "$1" = blue ]; then
    echo "${BLUE_URL:-http://127.0.0.1:$(env_value BLUE_HOST_PORT 3001)}"
  else
    echo "${GREEN_URL:-http://127.0.0.1:$(env_value GREEN_HOST_PORT 3002)}"
  fi
}

# The color the green marker names (nginx.conf: green while the marker exists, else blue)
marker_color () { if [ -e "$GREEN_MARKER" ]; then echo green; else echo blue; fi; }

# detect_active: sets ACTIVE to the color that really serves, asking nginx (GET /health through it
# names the color that answered) and the containers, not only the marker: after a kill -9, a
# crashed color or a `git clean`, the marker may name a color that does not answer while nginx
# serves the other one as its backup. When they disagree, the marker is set to what serves.
detect_active () {
  local marker seen='' sample
  marker=$(marker_color)
  if is_dry; then ACTIVE=$marker; return 0; fi
  for sample in 1 2 3; do
    http_get "$NGINX_URL/health" '' "$NGINX_INSECURE"
    [ "$HTTP_CODE" = 200 ] || continue
    sample=$(json_field "$HTTP_BODY" color)
    if [ -n "$seen" ] && [ "$sample" != "$seen" ]; then
      die "nginx answers from blue and from green: another switch is under way? nothing was changed"
    fi
    seen=$sample
  done
  if [ -z "$seen" ]; then
    # nginx gives no healthy answer: the containers say which color runs
    if color_running "$marker"; then ACTIVE=$marker; say "nginx does not answer ready; $marker runs and the marker names it"; return 0; fi
    if color_running "$(other_color "$marker")"; then ACTIVE=$(other_color "$marker"); else ACTIVE=$marker; fi
    say "nginx does not answer ready and $marker does not run: taking $ACTIVE as active"
    return 0
  fi
  case $seen in blue | green) ;; *) die "nginx's /health names no color ('$seen'): is DEPLOY_COLOR set on both colors?" ;; esac
  ACTIVE=$seen
  if [ "$seen" != "$marker" ]; then
    warn "the marker names $marker, but nginx serves $seen (as $marker's backup): the marker now names $seen"
    set_marker "$seen"
  fi
}

# ---------------------------------------------------------------- secrets (files under SECRETS_DIR)
# Each secret: its file, and the .env names it may come from (the seed's and the contract's)
SECRETS=("db_password:DB_PASSWORD POSTGRES_PASSWORD" "hubspot_access_token:HUBSPOT_ACCESS_TOKEN HUBSPOT_API_KEY" "api_keys:API_KEYS")
secret_value () { # FILE: the secret's file content, else the first of its .env names that is set
  local entry name value=''
  if [ -s "$SECRETS_DIR/$1" ]; then value=$(cat -- "$SECRETS_DIR/$1"); echo "${value%$'\n'}"; return; fi
  for entry in "${SECRETS[@]}"; do
    [ "${entry%%:*}" = "$1" ] || continue
    for name in ${entry#*:}; do value=$(env_value "$name"); [ -z "$value" ] || break; done
  done
  echo "$value"
}
# The first admin key of API_KEYS (a bare key, or admin:KEY): the HubSpot check needs admin
admin_api_key () {
  local entry entries
  IFS=',' read -ra entries <<<"$(secret_value api_keys)"
  for entry in "${entries[@]}"; do
    entry=${entry//[[:space:]]/}
    case $entry in
      admin:*) echo "${entry#admin:}"; return ;;
      *:*|'') ;;
      *) echo "$entry"; return ;;
    esac
  done
}

# ---------------------------------------------------------------- hooks and HTTP
run_hook () { # NAME COLOR: runs the hook's command line with the color as $1
  local name=$1 color=${2:-}
  if is_dry; then
    say "[dry-run] would run $name: ${!name//\$1/$color}"
    return 0
  fi
  bash -c "${!name}" "$name" "$color"
}
uses_compose () {
  local hook
  for hook in APP_BUILD_CMD APP_MIGRATE_CMD APP_START_CMD APP_RESUME_CMD APP_STOP_CMD APP_RUNNING_CMD APP_IMAGE_OF_CMD NGINX_TEST_CMD NGINX_RELOAD_CMD NGINX_LOG_CMD; do
    [[ " ${DEFAULT_HOOKS[*]} " == *" $hook "* ]] && return 0
  done
  return 1
}

# http_get URL [API_KEY] [INSECURE]: sets HTTP_CODE (000 when no answer) and HTTP_BODY (or curl's error).
# The key goes to curl on stdin, never on its command line (where `ps` would show it).
http_get () {
  local url=$1 key=${2:-} insecure=${3:-0} out
  local -a args=(-sS --stderr - --max-time "${HTTP_TIMEOUT:-5}" -w '\n%{http_code}')
  [ "$insecure" = 1 ] && args+=(-k)
  if [ -n "$key" ]; then
    key=${key//\\/\\\\}
    out=$(printf 'header = "Authorization: Bearer %s"\n' "${key//\"/\\\"}" | curl --config - "${args[@]}" "$url") || true
  else
    out=$(curl "${args[@]}" "$url") || true
  fi
  HTTP_CODE=${out##*$'\n'}
  HTTP_BODY=${out%$'\n'*}
  [ "$HTTP_BODY" != "$out" ] || HTTP_BODY=''
  HTTP_BODY=${HTTP_BODY%$'\n'}
}
json_field () { # BODY NAME: a flat string/number/boolean field, enough for our own small replies
  sed -nE "s/.*\"$2\"[[:space:]]*:[[:space:]]*\"?([^\",}]*)\"?.*/\\1/p" <<<"$1" | head -n 1
}
describe_answer () { if [ "$HTTP_CODE" = 000 ]; then echo "no answer: ${HTTP_BODY:-connection failed}"; else echo "HTTP $HTTP_CODE ${HTTP_BODY:0:200}"; fi; }

# ---------------------------------------------------------------- lock
# A directory (mkdir is atomic) holding the owner's pid. A lock whose process is gone (kill -9,
# a lost machine) is taken over, saying so; one whose process runs stops this run.
acquire_lock () {
  LOCK_DIR=$STATE_DIR/lock
  if is_dry; then return 0; fi
  mkdir -p "$STATE_DIR"
  if ! mkdir "$LOCK_DIR" 2>/dev/null; then
    local owner
    owner=$(cat "$LOCK_DIR/pid" 2>/dev/null || true)
    if [[ $owner =~ ^[0-9]+$ ]] && kill -0 "$owner" 2>/dev/null && grep -qE 'deploy\.sh|rollback\.sh' "/proc/$owner/cmdline" 2>/dev/null; then
      die "another deploy or rollback holds $LOCK_DIR (pid $owner, running)"
    fi
    if [ -z "$owner" ] && [ "$(( $(date +%s) - $(stat -c %Y "$LOCK_DIR" 2>/dev/null || echo 0) ))" -lt 5 ]; then
      die "another deploy or rollback holds $LOCK_DIR (just taken)"
    fi
    warn "a stale lock from pid ${owner:-?} (no such deploy runs): taken over"
    rm -rf -- "$LOCK_DIR"
    mkdir "$LOCK_DIR" || die "another deploy or rollback took $LOCK_DIR just now"
  fi
  echo "$$" >"$LOCK_DIR/pid"
  trap 'rm -rf -- "$LOCK_DIR"' EXIT
}

# ---------------------------------------------------------------- pre-flight checks
PREFLIGHT_FAILURES=()
check_ok () { say "ok    $*"; }
check_fail () { say "FAIL  $*"; PREFLIGHT_FAILURES+=("$*"); }

check_tools () {
  if command -v curl >/dev/null 2>&1; then check_ok "curl present"; else check_fail "curl is missing: apt-get install -y curl"; fi
  if ! uses_compose; then
    check_ok "docker not needed: every docker/nginx hook is overridden"
    return 0
  fi
  if ! command -v docker >/dev/null 2>&1; then
    check_fail "docker is missing: install Docker Engine with the compose plugin (https://docs.docker.com/engine/install/)"
  elif ! docker info >/dev/null 2>&1; then
    check_fail "docker is installed but the engine does not answer (is dockerd running, may this user use it?)"
  elif ! ${COMPOSE_CMD%% -p *} version >/dev/null 2>&1; then
    check_fail "neither docker compose (v2) nor docker-compose is installed: apt-get install -y docker-compose-plugin"
  else
    check_ok "docker $(docker version --format '{{.Server.Version}}' 2>/dev/null) with ${COMPOSE_CMD%% -p *} $(${COMPOSE_CMD%% -p *} version --short 2>/dev/null)"
  fi
}

check_disk () {
  local free_kb need_kb=$((MIN_FREE_GB * 1024 * 1024))
  free_kb=$(df -Pk "$DISK_CHECK_PATH" 2>/dev/null | awk 'NR == 2 { print $4 }')
  if [ -z "$free_kb" ]; then
    check_fail "cannot read the free disk space of $DISK_CHECK_PATH"
  elif [ "$free_kb" -le "$need_kb" ]; then
    check_fail "only $((free_kb / 1024 / 1024)) GB free on $DISK_CHECK_PATH, more than $MIN_FREE_GB GB needed (docker image prune, docker builder prune)"
  else
    check_ok "$((free_kb / 1024 / 1024)) GB free on $DISK_CHECK_PATH (more than $MIN_FREE_GB GB needed)"
  fi
}

check_tls () {
  local file missing=0
  if [ -n "$DOMAIN" ] && ! [[ $DOMAIN =~ ^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$ ]]; then
    check_fail "DOMAIN '$DOMAIN' is not a host name (contacts.example.com)"
    return 0
  fi
  for file in "$TLS_CERT" "$TLS_KEY"; do
    if [ ! -s "$file" ] || [ ! -r "$file" ]; then
      check_fail "TLS file missing, empty or unreadable: $file${DOMAIN:+ (the certificate for DOMAIN $DOMAIN)} (see README, Deployment: certificates)"
      missing=1
    fi
  done
  [ "$missing" = 0 ] || return 0
  if ! command -v openssl >/dev/null 2>&1; then
    check_ok "TLS certificate and key present (openssl absent: expiry and key match not checked)"
    return 0
  fi
  if ! openssl x509 -in "$TLS_CERT" -noout -checkend 0 >/dev/null 2>&1; then
    check_fail "TLS certificate $TLS_CERT is expired or not a PEM certificate"
    return 0
  fi
  if [ "$(openssl x509 -in "$TLS_CERT" -noout -pubkey 2>/dev/null)" != "$(openssl pkey -in "$TLS_KEY" -pubout 2>/dev/null)" ]; then
    check_fail "TLS key $TLS_KEY does not belong to the certificate $TLS_CERT"
    return 0
  fi
  # openssl prints "Hostname ... does match certificate" or "... does NOT match certificate"
  if [ -n "$DOMAIN" ] && ! openssl x509 -in "$TLS_CERT" -noout -checkhost "$DOMAIN" 2>/dev/null | grep -q ' does match '; then
    check_fail "TLS certificate $TLS_CERT is not for DOMAIN $DOMAIN (it names $(openssl x509 -in "$TLS_CERT" -noout -subject -ext subjectAltName 2>/dev/null | tr '\n' ' ' | tr -s ' '))"
    return 0
  fi
  if ! openssl x509 -in "$TLS_CERT" -noout -checkend $((14 * 86400)) >/dev/null 2>&1; then
    warn "the TLS certificate expires within 14 days: $(openssl x509 -in "$TLS_CERT" -noout -enddate)"
  fi
  check_ok "TLS certificate${DOMAIN:+ for $DOMAIN} and key present and matching, $(openssl x509 -in "$TLS_CERT" -noout -enddate)"
}

check_env () {
  if [ ! -r "$ENV_FILE" ]; then
    check_fail "no readable $ENV_FILE: cp .env.example .env and fill it in (README, Deployment)"
    return 0
  fi
  check_ok "settings in $ENV_FILE"
}

# check_secrets: each secret is a file in SECRETS_DIR (compose mounts it under /run/secrets/). A
# missing one is written from .env when .env has it (the seed kept them there), readable by the
# image's user (65532) alone.
check_secrets () {
  local entry file value names
  for entry in "${SECRETS[@]}"; do
    file=${entry%%:*}
    names=${entry#*:}
    if [ -s "$SECRETS_DIR/$file" ]; then
      check_ok "secret $file in $SECRETS_DIR"
      for value in $names; do [ -z "$(env_value "$value")" ] || warn "$ENV_FILE still has $value: compose passes it on as a plain variable (docker inspect shows it); remove it, $SECRETS_DIR/$file has the secret"; done
      continue
    fi
    value=$(secret_value "$file")
    if [ -z "$value" ]; then
      check_fail "no secret $file: write it to $SECRETS_DIR/$file (or set ${names// / or } in $ENV_FILE)"
    elif is_dry; then
      check_ok "secret $file: would be written to $SECRETS_DIR/$file from $ENV_FILE"
    elif (umask 077 && mkdir -p "$SECRETS_DIR" && printf '%s' "$value" >"$SECRETS_DIR/$file") \
      && { [ "$(id -u)" != 0 ] || chown 65532:65532 "$SECRETS_DIR/$file"; }; then
      check_ok "secret $file written to $SECRETS_DIR/$file from $ENV_FILE (remove it from $ENV_FILE)"
    else
      check_fail "could not write $SECRETS_DIR/$file"
    fi
  done
  [ -n "$(admin_api_key)" ] || check_fail "API_KEYS has no admin key (a bare key or admin:KEY, for the HubSpot check and the smoke test)"
}

check_upstreams () {
  if [ ! -d "$NGINX_DIR" ] || [ ! -w "$NGINX_DIR" ]; then check_fail "cannot write to $NGINX_DIR (the switch creates or removes $(basename -- "$GREEN_MARKER") there)"; return 0; fi
  if [ -f "$UPSTREAMS_FILE" ] && [ "$(cat -- "$UPSTREAMS_FILE")" = "$(render_upstreams)" ]; then
    check_ok "$UPSTREAMS_FILE lists blue at $UPSTREAM_BLUE and green at $UPSTREAM_GREEN"
  else
    check_ok "$UPSTREAMS_FILE will be rewritten for blue at $UPSTREAM_BLUE and green at $UPSTREAM_GREEN (nginx -t, one reload)"
  fi
}

check_nginx () {
  http_get "$NGINX_URL/health/live" '' "$NGINX_INSECURE"
  if [ "$HTTP_CODE" = 000 ]; then
    check_fail "nginx does not answer at $NGINX_URL ($HTTP_BODY): docker compose up -d nginx"
  else
    check_ok "nginx answers at $NGINX_URL"
  fi
}

finish_preflight () {
  if [ "${#PREFLIGHT_FAILURES[@]}" -gt 0 ]; then
    if is_dry; then
      warn "${#PREFLIGHT_FAILURES[@]} pre-flight check(s) failed: a real run would stop here"
      return 0
    fi
    die "pre-flight failed, nothing was changed:$(printf '\n  - %s' "${PREFLIGHT_FAILURES[@]}")"
  fi
}

# ---------------------------------------------------------------- the new color
# wait_ready COLOR TIMEOUT INTERVAL: 0 once COLOR's /health/ready answers 200; else 1 with FAIL_REASON
# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
wait_ready () {
  local color=$1 timeout=$2 interval=$3 url deadline started last='' shown=''
  url="$(color_url "$color")/health/ready"
  if is_dry; then
    say "[dry-run] would poll $url every ${interval}s until it answers 200, for at most ${timeout}s"
    return 0
  fi
  started=$(date +%s)
  deadline=$((started + timeout))
  while :; do
    http_get "$url"
    if [ "$HTTP_CODE" = 200 ]; then
      say "$color is ready after $(( $(date +%s) - started ))s"
      return 0
    fi
    last=$(describe_answer)
    if [ "$(date +%s)" -ge "$deadline" ]; then
      FAIL_REASON="$color did not become ready within ${timeout}s (last answer from $url: $last)"
      return 1
    fi
    if [ "$last" != "$shown" ]; then say "not ready yet: $last"; shown=$last; fi
    sleep "$interval"
  done
}

# check_token COLOR: 0 when COLOR reaches HubSpot with its token (GET /api/hubspot/test); else 1 with FAIL_REASON
# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
check_token () {
  local color=$1 url reason
  url="$(color_url "$color")/api/hubspot/test"
  if is_dry; then
    say "[dry-run] would GET $url with the first admin key of API_KEYS and expect 200 {\"ok\":true}"
    return 0
  fi
  http_get "$url" "$(admin_api_key)"
  if [ "$HTTP_CODE" = 200 ]; then
    say "HubSpot accepts the token (latency $(json_field "$HTTP_BODY" latencyMs) ms)"
    return 0
  fi
  reason=$(json_field "$HTTP_BODY" reason)
  case "$reason" in
    unauthorized) FAIL_REASON="HubSpot rejects HUBSPOT_ACCESS_TOKEN (unauthorized): fix it in $ENV_FILE" ;;
    missing_scopes) FAIL_REASON="the HubSpot token lacks the crm.objects.contacts.read/write scopes" ;;
    not_configured) FAIL_REASON="$color runs without a HubSpot token" ;;
    '') FAIL_REASON="the HubSpot token check through $color failed: $(describe_answer)" ;;
    *) FAIL_REASON="the HubSpot token check through $color failed: $reason ($(json_field "$HTTP_BODY" message))" ;;
  esac
  return 1
}

# ---------------------------------------------------------------- the switch
# render_upstreams: one upstream group per color, each the other's backup: a request that cannot
# reach the active color (refused, reset, 503 while it drains) falls back to the other while it
# runs. Fixed addresses, so nginx loads both groups whether or not a color runs.
render_upstreams () {
  local color
  printf '# Written by deploy/lib.sh (render_upstreams). Do not edit by hand: the switch is the marker\n'
  printf '# file active-green (nginx.conf), created or removed by deploy/deploy.sh and deploy/rollback.sh.\n'
  for color in blue green; do
    printf 'upstream contact_sync_%s {\n' "$color"
    # max_fails=0: a failed attempt never marks a color down for 10 s; each request tries the
    # active color first and only falls back when that attempt fails
    printf '    server %s max_fails=0;\n' "$(upstream_of "$color")"
    printf '    server %s max_fails=0 backup;\n' "$(upstream_of "$(other_color "$color")")"
    # keepalive_timeout well under the service's 60 s idle close (src/app.ts): nginx never reuses
    # a connection the service is closing at that moment
    printf '    keepalive 32;\n    keepalive_timeout 30s;\n    keepalive_requests 1000;\n}\n'
  done
  # shellcheck disable=SC2016 # nginx variables, written as they are
  printf 'map $host $contact_sync_green_marker {\n    default "%s/active-green";\n}\n' "$NGINX_SEES_DIR"
}

replace_file () { # FILE CONTENT: write a temp file next to it, then rename over it (atomic)
  local tmp
  tmp=$(mktemp "$1.XXXXXX") || return 1
  if printf '%s\n' "$2" >"$tmp" && chmod 644 "$tmp" && mv -f -- "$tmp" "$1"; then return 0; fi
  rm -f -- "$tmp"
  return 1
}

# install_upstreams: when upstreams.conf differs from what render_upstreams gives (a first deploy,
# changed addresses), write it, check it with `nginx -t` and reload nginx once; the previous file is
# put back on a failure (1 with FAIL_REASON). Unchanged (every other deploy): nothing, no reload.
# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
install_upstreams () {
  local content previous='' output
  content=$(render_upstreams)
  [ -f "$UPSTREAMS_FILE" ] && previous=$(cat -- "$UPSTREAMS_FILE")
  [ "$previous" != "$content" ] || return 0
  if is_dry; then
    say "[dry-run] would write $UPSTREAMS_FILE (temp file + mv)"
    say "[dry-run] would run NGINX_TEST_CMD: $NGINX_TEST_CMD"
    say "[dry-run] would run NGINX_RELOAD_CMD: $NGINX_RELOAD_CMD"
    return 0
  fi
  replace_file "$UPSTREAMS_FILE" "$content" || { FAIL_REASON="could not write $UPSTREAMS_FILE; it is unchanged"; return 1; }
  restore () { if [ -n "$previous" ]; then replace_file "$UPSTREAMS_FILE" "$previous"; else rm -f -- "$UPSTREAMS_FILE"; fi; }
  if ! output=$(run_hook NGINX_TEST_CMD 2>&1); then
    restore
    FAIL_REASON="nginx -t rejected the new upstreams; the previous ones are back in place and nginx was not reloaded: ${output:-no output}"
    return 1
  fi
  if ! output=$(run_hook NGINX_RELOAD_CMD 2>&1); then
    restore
    run_hook NGINX_RELOAD_CMD >/dev/null 2>&1 || true
    FAIL_REASON="nginx reload failed; the previous upstreams are back in place: ${output:-no output}"
    return 1
  fi
  say "$(basename -- "$UPSTREAMS_FILE") rewritten (blue $UPSTREAM_BLUE, green $UPSTREAM_GREEN); nginx reloaded once"
}

# set_marker COLOR: the switch itself. nginx reads the marker on every request: no reload, so no
# keep-alive connection is closed under a client.
set_marker () {
  local tmp
  if [ "$1" = green ]; then
    tmp=$(mktemp "$GREEN_MARKER.XXXXXX") && chmod 644 "$tmp" && mv -f -- "$tmp" "$GREEN_MARKER"
  else
    rm -f -- "$GREEN_MARKER"
  fi
}

# switch_to COLOR: upstreams in place (install_upstreams), then the marker. 1 with FAIL_REASON.
# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
switch_to () {
  install_upstreams || return 1
  if is_dry; then
    if [ "$1" = green ]; then say "[dry-run] would create $GREEN_MARKER (temp file + mv)"; else say "[dry-run] would remove $GREEN_MARKER"; fi
    return 0
  fi
  set_marker "$1" || { FAIL_REASON="could not change $GREEN_MARKER"; return 1; }
  say "nginx now sends traffic to $1 ($(upstream_of "$1")), $(other_color "$1") as its backup"
}

# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
verify_through_nginx () {
  local color=$1 deadline seen
  if is_dry; then
    say "[dry-run] would poll $NGINX_URL/health until it reports \"color\":\"$color\" (at most ${VERIFY_TIMEOUT}s)"
    return 0
  fi
  deadline=$(( $(date +%s) + VERIFY_TIMEOUT ))
  while :; do
    http_get "$NGINX_URL/health" '' "$NGINX_INSECURE"
    seen=$(json_field "$HTTP_BODY" color)
    if [ "$HTTP_CODE" = 200 ] && [ "$seen" = "$color" ]; then
      say "nginx answers from $color: $NGINX_URL/health -> 200, color $color"
      return 0
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      FAIL_REASON="$NGINX_URL/health did not report $color within ${VERIFY_TIMEOUT}s (last: $(describe_answer))"
      return 1
    fi
    sleep 0.5
  done
}

# error_counts SINCE ADDRESS: "errors requests" of the requests nginx gave ADDRESS since SINCE (UTC,
# RFC 3339), from its access log. A request is an error when its answer to the client was 5xx, or
# when ADDRESS answered it 500, 502 (refused, reset) or 504 (timed out), even if the backup then
# answered. A 503 that the backup answered instead is not: it is the service's "busy, ask another"
# (a read the database did not answer within 1.5 s), which nginx retries by design, and a new
# color warming up on a busy machine gives a few.
error_counts () {
  run_hook NGINX_LOG_CMD "$1" 2>/dev/null | awk -v address="$2" -v since="$1" '
    /"upstream":"/ {
      time = $0; sub(/.*"time":"/, "", time); sub(/".*/, "", time); sub(/\+00:00$/, "Z", time)
      if (time ~ /Z$/ && time < since) next
      final = $0; sub(/.*"status":/, "", final); sub(/,.*/, "", final)
      addresses = $0; sub(/.*"upstream":"/, "", addresses); sub(/".*/, "", addresses)
      statuses = $0; sub(/.*"upstream_status":"/, "", statuses); sub(/".*/, "", statuses)
      n = split(addresses, a, /(, | : )/); split(statuses, s, /(, | : )/)
      tried = 0; failed = (final ~ /^5/)
      for (i = 1; i <= n; i++) if (a[i] == address) { tried = 1; if (s[i] ~ /^5/ && s[i] != "503") failed = 1 }
      if (tried) { requests++; if (failed) errors++ }
    }
    END { printf "%d %d\n", errors, requests }'
}

# watch NEW OLD SINCE: while OLD drains (DRAIN_SECONDS), NEW's error rate through nginx since the
# switch must stay at or under MAX_ERROR_RATE; checked every 2 s and at the end. 1 with
# FAIL_REASON when it went over.
# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
watch_error_rate () {
  local new=$1 old=$2 since=$3 deadline counts errors attempts
  if is_dry; then
    say "[dry-run] would watch $new's error rate in nginx's log for ${DRAIN_SECONDS}s (at most $MAX_ERROR_RATE) while $old drains"
    return 0
  fi
  say "watching $new's error rate through nginx for ${DRAIN_SECONDS}s (at most $MAX_ERROR_RATE) while $old finishes its requests"
  deadline=$(( $(date +%s) + ${DRAIN_SECONDS%.*} ))
  while :; do
    counts=$(error_counts "$since" "$(upstream_of "$new")")
    errors=${counts% *}
    attempts=${counts#* }
    if awk -v e="$errors" -v a="$attempts" -v max="$MAX_ERROR_RATE" 'BEGIN { exit !(a > 0 && e / a > max) }'; then
      FAIL_REASON="$new's error rate after the switch is $errors of $attempts requests, over $MAX_ERROR_RATE"
      return 1
    fi
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 2
  done
  say "$new: $errors errors in $attempts requests since the switch (at most $MAX_ERROR_RATE allowed)"
}

# ---------------------------------------------------------------- releases
# deploy/state/releases: one line per release that went live, "<UTC time> <color> <image>". The
# last line serves; the one before is what rollback.sh returns to.
record_release () { # COLOR IMAGE
  is_dry && return 0
  mkdir -p "$STATE_DIR"
  printf '%s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" "$2" >>"$RELEASES_FILE"
}
release_entry () { # N: "<color> <image>" of the Nth release from the end (1: the one serving); empty if none
  local lines
  [ -f "$RELEASES_FILE" ] || return 0
  lines=$(wc -l <"$RELEASES_FILE")
  [ "$lines" -ge "$1" ] || return 0
  sed -n "$((lines - $1 + 1))p" "$RELEASES_FILE" | awk '{ print $2, $3 }'
}
release_image () { # N: the image of the Nth release from the end; empty if none
  local entry
  entry=$(release_entry "$1")
  echo "${entry#* }"
}
color_image () { # COLOR: the image of its container, running or not (empty: no container)
  is_dry && return 0
  run_hook APP_IMAGE_OF_CMD "$1" 2>/dev/null || true
}

# record_serving: the history's last release must be what serves: ACTIVE (detect_active) with its
# container's image. When it is not (a first deploy; a run killed between its switch and "Record
# the release"; a color switched by hand), what serves is recorded, so that rollback.sh returns to
# the release before the one really serving.
record_serving () {
  local image last
  is_dry && return 0
  image=$(color_image "$ACTIVE")
  [ -n "$image" ] || return 0
  last=$(release_entry 1)
  [ "$last" != "$ACTIVE $image" ] || return 0
  if [ -n "$last" ]; then
    warn "the release history ends with $last, but $ACTIVE serves $image (a run stopped after its switch?): recorded as the serving release"
  else
    say "no release recorded yet: $ACTIVE $image, which serves, recorded"
  fi
  record_release "$ACTIVE" "$image"
}

color_running () { # COLOR: in a dry run, assumed
  if is_dry; then return 0; fi
  run_hook APP_RUNNING_CMD "$1" >/dev/null 2>&1
}

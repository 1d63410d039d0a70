# shellcheck shell=bash
# Shared by deploy.sh and rollback.sh: settings, hooks, pre-flight checks and the nginx switch.
# Sourced, never run. Everything that touches Docker or nginx goes through a hook (a shell
# command line, the color as $1) so that the same switch code drives the compose stack in
# production and two plain `node src/server.ts` processes behind a local nginx in test/deploy.

DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
PROJECT_DIR=$(dirname -- "$DEPLOY_DIR")

# ---------------------------------------------------------------- settings (environment)
ENV_FILE=${ENV_FILE:-$PROJECT_DIR/.env}
NGINX_UPSTREAM_FILE=${NGINX_UPSTREAM_FILE:-$DEPLOY_DIR/nginx/active-upstream.conf}
TLS_CERT=${TLS_CERT:-$DEPLOY_DIR/certs/fullchain.pem}
TLS_KEY=${TLS_KEY:-$DEPLOY_DIR/certs/privkey.pem}
READY_TIMEOUT=${READY_TIMEOUT:-300}
READY_INTERVAL=${READY_INTERVAL:-5}
VERIFY_TIMEOUT=${VERIFY_TIMEOUT:-30}
# How long the old color keeps running after the switch before it gets SIGTERM: nginx's old
# workers finish the requests they hold (a "Prefer: wait=30" upsert may take 30 s).
DRAIN_SECONDS=${DRAIN_SECONDS:-30}
MIN_FREE_GB=${MIN_FREE_GB:-5}
if [ -z "${DISK_CHECK_PATH:-}" ]; then
  if [ -d /var/lib/docker ]; then DISK_CHECK_PATH=/var/lib/docker; else DISK_CHECK_PATH=$PROJECT_DIR; fi
fi

# Where nginx sends each color (names on the compose network) and where this script reaches
# each color directly (compose publishes them on loopback only: 127.0.0.1:3001 / :3002).
UPSTREAM_BLUE=${UPSTREAM_BLUE:-app_blue:3000}
UPSTREAM_GREEN=${UPSTREAM_GREEN:-app_green:3000}
# The public entry, checked on loopback; -k because the certificate names the public host, not 127.0.0.1
NGINX_URL=${NGINX_URL:-https://127.0.0.1}
NGINX_INSECURE=${NGINX_INSECURE:-1}

# ---------------------------------------------------------------- hooks (shell command lines, color in $1)
COMPOSE_CMD=${COMPOSE_CMD:-docker compose --project-directory $(printf '%q' "$PROJECT_DIR")}
NGINX_ARGS=${NGINX_ARGS:--p /var/cache/nginx/ -c /etc/nginx/contact-sync/nginx.conf}
DEFAULT_HOOKS=()
default_hook () { # NAME VALUE: sets NAME to VALUE unless the environment set it
  if [ -z "${!1:-}" ]; then printf -v "$1" '%s' "$2"; DEFAULT_HOOKS+=("$1"); fi
}
default_hook APP_BUILD_CMD "$COMPOSE_CMD build \"app_\$1\""
# deploy: (re)create the color from the current image
default_hook APP_START_CMD "$COMPOSE_CMD up -d --no-deps \"app_\$1\""
# rollback: start the container the last deploy stopped and kept (its image is the previous release)
default_hook APP_RESUME_CMD "$COMPOSE_CMD start \"app_\$1\""
# SIGTERM, and SIGKILL after compose's stop_grace_period (15 s); the container is kept
default_hook APP_STOP_CMD "$COMPOSE_CMD stop \"app_\$1\""
default_hook APP_RUNNING_CMD "test -n \"\$($COMPOSE_CMD ps --status running --quiet \"app_\$1\")\""
default_hook NGINX_TEST_CMD "$COMPOSE_CMD exec -T nginx nginx $NGINX_ARGS -t -q"
default_hook NGINX_RELOAD_CMD "$COMPOSE_CMD exec -T nginx nginx $NGINX_ARGS -s reload"

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
step () { STEP=$((STEP + 1)); printf '\n==> [%s/%s] %s   (+%s)\n' "$STEP" "$STEPS" "$*" "$(elapsed)"; }
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

# The active color is recorded in the upstream file itself: "# active: blue"
active_color () {
  [ -f "$NGINX_UPSTREAM_FILE" ] || die "no upstream file at $NGINX_UPSTREAM_FILE"
  local color
  color=$(sed -nE 's/^# active: (blue|green)$/\1/p' "$NGINX_UPSTREAM_FILE" | head -n 1)
  [ -n "$color" ] || die "$NGINX_UPSTREAM_FILE does not say which color is active (a '# active: blue|green' line)"
  echo "$color"
}

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
# The first admin key of API_KEYS (a bare key, or admin:KEY): the HubSpot check needs admin
admin_api_key () {
  local entry entries
  IFS=',' read -ra entries <<<"$(env_value API_KEYS)"
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
  for hook in APP_START_CMD APP_RESUME_CMD APP_STOP_CMD APP_RUNNING_CMD NGINX_TEST_CMD NGINX_RELOAD_CMD; do
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
acquire_lock () {
  LOCK_DIR="$NGINX_UPSTREAM_FILE.lock"
  if is_dry; then return 0; fi
  mkdir "$LOCK_DIR" 2>/dev/null \
    || die "another deploy or rollback holds $LOCK_DIR (pid $(cat "$LOCK_DIR/pid" 2>/dev/null || echo '?')); if none runs, remove that directory"
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
  elif ! docker compose version >/dev/null 2>&1; then
    check_fail "docker compose (v2 plugin) is missing: apt-get install -y docker-compose-plugin"
  else
    check_ok "docker $(docker version --format '{{.Server.Version}}' 2>/dev/null) with compose $(docker compose version --short 2>/dev/null)"
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
  for file in "$TLS_CERT" "$TLS_KEY"; do
    if [ ! -s "$file" ] || [ ! -r "$file" ]; then
      check_fail "TLS file missing, empty or unreadable: $file (see README, Deployment: certificates)"
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
  if ! openssl x509 -in "$TLS_CERT" -noout -checkend $((14 * 86400)) >/dev/null 2>&1; then
    warn "the TLS certificate expires within 14 days: $(openssl x509 -in "$TLS_CERT" -noout -enddate)"
  fi
  check_ok "TLS certificate and key present and matching, $(openssl x509 -in "$TLS_CERT" -noout -enddate)"
}

check_env () {
  if [ ! -r "$ENV_FILE" ]; then
    check_fail "no readable $ENV_FILE: cp .env.example .env and fill it in (README, Deployment)"
    return 0
  fi
  if [ -n "$(env_value HUBSPOT_ACCESS_TOKEN)$(env_value HUBSPOT_API_KEY)" ]; then
    check_ok "HUBSPOT_ACCESS_TOKEN set in $ENV_FILE (checked against HubSpot once the new color runs)"
  else
    check_fail "HUBSPOT_ACCESS_TOKEN is not set in $ENV_FILE (a HubSpot private-app token)"
  fi
  if [ -n "$(admin_api_key)" ]; then check_ok "API_KEYS has an admin key"; else check_fail "API_KEYS has no admin key in $ENV_FILE (a bare key or admin:KEY, for the HubSpot check and the smoke test)"; fi
  if [ -n "$(env_value POSTGRES_PASSWORD)" ]; then check_ok "POSTGRES_PASSWORD set"; else check_fail "POSTGRES_PASSWORD is not set in $ENV_FILE (the compose PostgreSQL's password)"; fi
}

check_upstream_file () {
  local dir
  dir=$(dirname -- "$NGINX_UPSTREAM_FILE")
  if [ ! -f "$NGINX_UPSTREAM_FILE" ]; then check_fail "no upstream file $NGINX_UPSTREAM_FILE"; return 0; fi
  if [ ! -w "$dir" ]; then check_fail "cannot write to $dir (the switch replaces $(basename -- "$NGINX_UPSTREAM_FILE") there)"; return 0; fi
  if ! grep -qE '^# active: (blue|green)$' "$NGINX_UPSTREAM_FILE"; then check_fail "$NGINX_UPSTREAM_FILE has no '# active: blue|green' line"; return 0; fi
  check_ok "upstream file $NGINX_UPSTREAM_FILE (active: $(active_color))"
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
# render_upstream ACTIVE [BACKUP]: the active color as the only primary; the other as backup while
# it still runs, so a request that cannot reach the active color (refused, reset, 503) falls
# back to it. A backup is only listed while it runs: nginx resolves names at (re)load, and a
# stopped container's name does not resolve.
render_upstream () {
  local active=$1 backup=${2:-}
  printf '# active: %s\n' "$active"
  printf '# Written by deploy/lib.sh at %s. Do not edit by hand: deploy/deploy.sh and\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '# deploy/rollback.sh rewrite this file atomically, test it with "nginx -t" and reload nginx.\n'
  printf 'upstream contact_sync {\n'
  # max_fails=0: a failed attempt never marks the active color down for 10 s; each request
  # tries it first and only falls back when that attempt fails.
  printf '    server %s max_fails=0;\n' "$(upstream_of "$active")"
  if [ -n "$backup" ]; then printf '    server %s max_fails=0 backup;\n' "$(upstream_of "$backup")"; fi
  printf '    keepalive 32;\n    keepalive_timeout 60s;\n    keepalive_requests 1000;\n}\n'
}

replace_upstream_file () { # CONTENT: write a temp file next to it, then rename over it (atomic)
  local tmp
  tmp=$(mktemp "$NGINX_UPSTREAM_FILE.XXXXXX") || return 1
  if printf '%s\n' "$1" >"$tmp" && chmod 644 "$tmp" && mv -f -- "$tmp" "$NGINX_UPSTREAM_FILE"; then return 0; fi
  rm -f -- "$tmp"
  return 1
}

# install_upstream CONTENT WHAT: rewrite the file with CONTENT and check it with `nginx -t`; on a
# failure the previous file is back in place and 1 is returned with FAIL_REASON (WHAT names the
# upstream in it). PREVIOUS_UPSTREAM keeps the old content for a caller that must undo later.
# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
install_upstream () {
  local content=$1 what=$2 output
  PREVIOUS_UPSTREAM=$(cat -- "$NGINX_UPSTREAM_FILE")
  if ! replace_upstream_file "$content"; then
    FAIL_REASON="could not write $NGINX_UPSTREAM_FILE; it is unchanged"
    return 1
  fi
  if ! output=$(run_hook NGINX_TEST_CMD 2>&1); then
    replace_upstream_file "$PREVIOUS_UPSTREAM" || true
    FAIL_REASON="nginx -t rejected the $what upstream; the previous one is back in place and nginx was not reloaded: ${output:-no output}"
    return 1
  fi
}

# switch_upstream ACTIVE [BACKUP]: rewrite, `nginx -t`, reload. On any failure the previous file is
# put back and 1 returned with FAIL_REASON.
# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
switch_upstream () {
  local active=$1 backup=${2:-} content output
  content=$(render_upstream "$active" "$backup")
  if is_dry; then
    say "[dry-run] would write $NGINX_UPSTREAM_FILE (temp file + mv):"
    local line
    while IFS= read -r line; do printf '        | %s\n' "$line"; done <<<"$content"
    say "[dry-run] would run NGINX_TEST_CMD: $NGINX_TEST_CMD"
    say "[dry-run] would run NGINX_RELOAD_CMD: $NGINX_RELOAD_CMD"
    return 0
  fi
  install_upstream "$content" new || return 1
  if ! output=$(run_hook NGINX_RELOAD_CMD 2>&1); then
    replace_upstream_file "$PREVIOUS_UPSTREAM"
    run_hook NGINX_RELOAD_CMD >/dev/null 2>&1 || true
    FAIL_REASON="nginx reload failed; the previous upstream is back in place: ${output:-no output}"
    return 1
  fi
  say "nginx now sends traffic to $active ($(upstream_of "$active"))${backup:+, $backup ($(upstream_of "$backup")) as backup}"
}

# settle_upstream ACTIVE: once the old color is stopped, the file names ACTIVE alone (checked with
# `nginx -t`) so that an nginx (re)start never has to resolve a stopped container's name. nginx is
# NOT reloaded for this: a reload closes every idle keep-alive connection of the old workers, which
# races with clients sending on them; the running nginx keeps the stopped color as an unused
# backup until the next switch reloads it. 1 with FAIL_REASON when nginx -t rejects it.
# shellcheck disable=SC2034 # FAIL_REASON is read by deploy.sh and rollback.sh
settle_upstream () {
  local active=$1
  if is_dry; then
    say "[dry-run] would write $NGINX_UPSTREAM_FILE (temp file + mv) naming $active alone, and run NGINX_TEST_CMD (no reload)"
    return 0
  fi
  install_upstream "$(render_upstream "$active")" settled || return 1
  say "$(basename -- "$NGINX_UPSTREAM_FILE") names $active alone (nginx -t ok; no reload needed: the running nginx already sends everything to $active)"
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

drain () { # COLOR
  if is_dry; then say "[dry-run] would wait ${DRAIN_SECONDS}s while nginx's old workers finish their requests on $1"; return 0; fi
  say "waiting ${DRAIN_SECONDS}s: nginx's old workers finish the requests they hold on $1"
  sleep "$DRAIN_SECONDS"
}

color_running () { # COLOR: in a dry run, assumed
  if is_dry; then return 0; fi
  run_hook APP_RUNNING_CMD "$1" >/dev/null 2>&1
}

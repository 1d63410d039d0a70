#!/usr/bin/env bash
# Blue/green deploy of contact-sync: build contact-sync:<commit>, migrate in a one-shot container,
# start the idle color on it, wait until it is ready and reaches HubSpot, switch nginx to it (no
# reload), verify through nginx, watch its error rate while the old color drains (over
# MAX_ERROR_RATE: back to the old color), stop the old color (container and image kept for
# deploy/rollback.sh) and record the release. Run from anywhere; see README, "Deployment".
set -euo pipefail

usage () {
  cat <<'EOF'
Usage: deploy/deploy.sh [options]

  --dry-run          print every step and change nothing
  --timeout S        how long the new color may take to become ready (READY_TIMEOUT, default 300)
  --interval S       how often its /health/ready is polled (READY_INTERVAL, default 5)
  --drain S          how long the old color keeps running after the switch (DRAIN_SECONDS, default 30)
  --image REF        run this image (pulled when missing) instead of building the checkout (APP_IMAGE)
  --no-build         use the image already tagged contact-sync:<commit> (or APP_IMAGE)
  -h, --help         this text

Environment: every setting and hook in deploy/lib.sh (ENV_FILE, NGINX_URL, COMPOSE_CMD,
APP_START_CMD, NGINX_RELOAD_CMD, ...). Exit status 0 when the new color serves, 1 otherwise.
EOF
}

BUILD=1
while [ "$#" -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --timeout) READY_TIMEOUT=${2:?--timeout needs seconds}; shift ;;
    --interval) READY_INTERVAL=${2:?--interval needs seconds}; shift ;;
    --drain) DRAIN_SECONDS=${2:?--drain needs seconds}; shift ;;
    --image) export APP_IMAGE=${2:?--image needs an image reference}; BUILD=0; shift ;;
    --no-build) BUILD=0 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; printf '\nunknown option: %s\n' "$1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=deploy/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

require_number READY_TIMEOUT "$READY_TIMEOUT" integer
require_number READY_INTERVAL "$READY_INTERVAL"
require_number DRAIN_SECONDS "$DRAIN_SECONDS"
require_number VERIFY_TIMEOUT "$VERIFY_TIMEOUT" integer

acquire_lock
STEPS=11
if is_dry; then printf 'DRY RUN: nothing is built, started, stopped, written or reloaded.\n'; fi
detect_active
NEW=$(other_color "$ACTIVE")
if [ -z "${APP_IMAGE:-}" ]; then
  # contact-sync:<commit>; a checkout with changes gets the time too, so no build is ever
  # tagged like another one (a failed deploy never replaces the image a rollback needs)
  APP_IMAGE=${IMAGE_REPOSITORY:-contact-sync}:$(git -C "$PROJECT_DIR" rev-parse --short=12 HEAD 2>/dev/null || echo unversioned)
  if [ -n "$(git -C "$PROJECT_DIR" status --porcelain --untracked-files=no 2>/dev/null)" ]; then APP_IMAGE=$APP_IMAGE-dirty-$(date -u +%Y%m%d%H%M%S); fi
fi
export APP_IMAGE
printf 'deploy: %s is active, deploying %s to %s\n' "$ACTIVE" "$APP_IMAGE" "$NEW"

PHASE=checks # checks, started (NEW may run), switched (NEW has traffic), finished
# A new color that does not end up serving must not linger: before the switch it is stopped; after
# it, traffic goes back to ACTIVE (when it runs) first. The failed color's container and image stay
# for `docker compose logs`; the release history is unchanged.
undo () { # REASON
  if ! is_dry && [ "$PHASE" = switched ] && color_running "$ACTIVE"; then
    say "traffic back to $ACTIVE"
    set_marker "$ACTIVE" || warn "could not switch nginx back to $ACTIVE: check $GREEN_MARKER now"
  fi
  if ! is_dry && [ "$PHASE" != checks ]; then
    say "stopping $NEW (its container is kept: docker compose logs app_$NEW)"
    run_hook APP_STOP_CMD "$NEW" >/dev/null 2>&1 || warn "could not stop $NEW"
  fi
  PHASE=finished
}
abort () { # REASON
  local was=$PHASE
  undo "$1"
  if [ "$was" = switched ]; then die "deploy aborted: $1. Traffic is back on $ACTIVE."; fi
  die "deploy aborted: $1. $ACTIVE keeps serving; nginx was not switched."
}
interrupted () { printf '\n' >&2; abort "interrupted by $1"; }
trap 'interrupted SIGINT' INT
trap 'interrupted SIGTERM' TERM
trap 'interrupted SIGHUP' HUP

step "Pre-flight checks"
check_tools
check_disk
check_tls
check_env
check_secrets
check_upstreams
check_nginx
say "$ACTIVE serves (asked nginx and the containers); $NEW is idle"
say "later: migrations run in a one-shot container (step 3), the HubSpot token is checked through $NEW (step 6) before any traffic goes there"
finish_preflight

# The history ends with what serves (a first deploy, a run killed after its switch), so that a
# rollback after this deploy returns there
record_serving

step "Image $APP_IMAGE for $NEW"
if [ "$BUILD" = 1 ]; then
  say "building from $PROJECT_DIR"
  run_hook APP_BUILD_CMD "$NEW" || die "the image build failed; nothing was changed"
else
  say "using $APP_IMAGE (no build)"
fi

step "Migrate the database (one-shot container of $APP_IMAGE, lock_timeout)"
run_hook APP_MIGRATE_CMD "$NEW" || die "the migration failed (its reason is above); nothing was started, $ACTIVE keeps serving"

step "Start $NEW"
PHASE=started
run_hook APP_START_CMD "$NEW" || abort "$NEW did not start (APP_START_CMD failed)"

step "Wait for $NEW's /health/ready (timeout ${READY_TIMEOUT}s, every ${READY_INTERVAL}s)"
wait_ready "$NEW" "$READY_TIMEOUT" "$READY_INTERVAL" || abort "$FAIL_REASON"

step "Check the HubSpot token through $NEW (GET /api/hubspot/test)"
check_token "$NEW" || abort "$FAIL_REASON"

step "Switch nginx to $NEW"
SWITCHED_SINCE=$(date -u +%Y-%m-%dT%H:%M:%SZ)
switch_to "$NEW" || abort "$FAIL_REASON"
PHASE=switched
SWITCHED_AT=$(elapsed)

step "Verify through nginx"
verify_through_nginx "$NEW" || abort "$FAIL_REASON"

step "Watch $NEW's error rate while $ACTIVE drains (${DRAIN_SECONDS}s)"
watch_error_rate "$NEW" "$ACTIVE" "$SWITCHED_SINCE" || abort "$FAIL_REASON; rolled back automatically"

step "Stop $ACTIVE (the container is kept for rollback)"
PHASE=finished
if color_running "$ACTIVE"; then run_hook APP_STOP_CMD "$ACTIVE" || warn "could not stop $ACTIVE; stop it by hand: docker compose stop app_$ACTIVE"; else say "$ACTIVE is not running"; fi

step "Record the release"
record_release "$NEW" "$APP_IMAGE"
say "$RELEASES_FILE: $NEW $APP_IMAGE (rollback returns to ${ACTIVE} $(release_image 2))"

printf '\ndeploy done: %s serves %s (traffic switched at +%s, total %s). Roll back with deploy/rollback.sh\n' "$NEW" "$APP_IMAGE" "${SWITCHED_AT:-?}" "$(elapsed)"

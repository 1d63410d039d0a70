#!/usr/bin/env bash
# Blue/green deploy of contact-sync: start the idle color, wait until it is ready and reaches
# HubSpot, switch nginx to it, verify through nginx, let the old color drain and stop it (its
# container is kept for deploy/rollback.sh). Run from anywhere; see README, "Deployment".
set -euo pipefail

usage () {
  cat <<'EOF'
Usage: deploy/deploy.sh [options]

  --dry-run          print every step and change nothing
  --timeout S        how long the new color may take to become ready (READY_TIMEOUT, default 300)
  --interval S       how often its /health/ready is polled (READY_INTERVAL, default 5)
  --drain S          how long the old color keeps running after the switch (DRAIN_SECONDS, default 30)
  --image REF        run this image (pulled when missing) instead of building the checkout (APP_IMAGE)
  --no-build         use the image already tagged (APP_IMAGE, default contact-sync:latest)
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
ACTIVE=$(active_color)
NEW=$(other_color "$ACTIVE")
STEPS=10
if is_dry; then printf 'DRY RUN: nothing is started, stopped, written or reloaded.\n'; fi
printf 'deploy: %s is active, deploying to %s\n' "$ACTIVE" "$NEW"

# A new color that is not switched to must not linger half-deployed
abort () { # REASON
  if ! is_dry; then
    say "stopping $NEW (its container is kept: docker compose logs app_$NEW)"
    run_hook APP_STOP_CMD "$NEW" >/dev/null 2>&1 || warn "could not stop $NEW"
  fi
  die "deploy aborted: $1. $ACTIVE keeps serving; nginx was not switched."
}

step "Pre-flight checks"
check_tools
check_disk
check_tls
check_env
check_upstream_file
check_nginx
say "later: the HubSpot token is checked through $NEW (step 5) before any traffic goes there"
finish_preflight

step "Image for $NEW"
if [ "$BUILD" = 1 ]; then
  say "building from $PROJECT_DIR"
  run_hook APP_BUILD_CMD "$NEW" || die "the image build failed; nothing was changed"
else
  say "using ${APP_IMAGE:-contact-sync:latest} (no build)"
fi

step "Start $NEW"
run_hook APP_START_CMD "$NEW" || abort "$NEW did not start (APP_START_CMD failed)"

step "Wait for $NEW's /health/ready (timeout ${READY_TIMEOUT}s, every ${READY_INTERVAL}s)"
wait_ready "$NEW" "$READY_TIMEOUT" "$READY_INTERVAL" || abort "$FAIL_REASON"

step "Check the HubSpot token through $NEW (GET /api/hubspot/test)"
check_token "$NEW" || abort "$FAIL_REASON"

step "Switch nginx to $NEW"
BACKUP=''
if color_running "$ACTIVE"; then BACKUP=$ACTIVE; else say "$ACTIVE does not run: $NEW is switched to alone"; fi
switch_upstream "$NEW" "$BACKUP" || abort "$FAIL_REASON"
SWITCHED_AT=$(elapsed)

step "Verify through nginx"
if ! verify_through_nginx "$NEW"; then
  [ -n "$BACKUP" ] || die "$FAIL_REASON. $ACTIVE does not run, so $NEW stays switched in; check nginx and $NEW"
  reason=$FAIL_REASON
  say "switching back to $ACTIVE"
  switch_upstream "$ACTIVE" "$NEW" || die "$reason; switching back to $ACTIVE failed too: $FAIL_REASON. Check nginx now"
  abort "$reason"
fi

step "Let $ACTIVE drain"
if [ -n "$BACKUP" ]; then drain "$ACTIVE"; else say "nothing to drain"; fi

step "Stop $ACTIVE (the container is kept for rollback)"
if [ -n "$BACKUP" ]; then run_hook APP_STOP_CMD "$ACTIVE" || warn "could not stop $ACTIVE; stop it by hand: docker compose stop app_$ACTIVE"; else say "$ACTIVE is not running"; fi

step "Settle the upstream file on $NEW alone"
if [ -n "$BACKUP" ]; then
  settle_upstream "$NEW" || warn "$FAIL_REASON. $NEW serves; $ACTIVE stays listed as backup until the next switch"
else
  say "already alone"
fi

printf '\ndeploy done: %s serves (traffic switched at +%s, total %s). Roll back with deploy/rollback.sh\n' "$NEW" "${SWITCHED_AT:-?}" "$(elapsed)"

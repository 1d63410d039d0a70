#!/usr/bin/env bash
# Rollback: put the previous color (the container the last deploy stopped and kept, with the
# previous image) back behind nginx within seconds, then drain and stop the current one.
# The same switch code as deploy.sh (deploy/lib.sh). See README, "Deployment".
set -euo pipefail

usage () {
  cat <<'EOF_USAGE'
Usage: deploy/rollback.sh [options]

  --dry-run          print every step and change nothing
  --timeout S        how long the previous color may take to become ready (ROLLBACK_READY_TIMEOUT, default 60)
  --interval S       how often its /health/ready is polled (ROLLBACK_READY_INTERVAL, default 1)
  --drain S          how long the current color keeps running after the switch (DRAIN_SECONDS, default 30)
  --keep-current     leave the current color running (as nginx's backup) instead of stopping it
  -h, --help         this text
EOF_USAGE
}

KEEP_CURRENT=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --timeout) ROLLBACK_READY_TIMEOUT=${2:?--timeout needs seconds}; shift ;;
    --interval) ROLLBACK_READY_INTERVAL=${2:?--interval needs seconds}; shift ;;
    --drain) DRAIN_SECONDS=${2:?--drain needs seconds}; shift ;;
    --keep-current) KEEP_CURRENT=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; printf '\nunknown option: %s\n' "$1" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=deploy/lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

ROLLBACK_READY_TIMEOUT=${ROLLBACK_READY_TIMEOUT:-60}
ROLLBACK_READY_INTERVAL=${ROLLBACK_READY_INTERVAL:-1}
require_number ROLLBACK_READY_TIMEOUT "$ROLLBACK_READY_TIMEOUT" integer
require_number ROLLBACK_READY_INTERVAL "$ROLLBACK_READY_INTERVAL"
require_number DRAIN_SECONDS "$DRAIN_SECONDS"
require_number VERIFY_TIMEOUT "$VERIFY_TIMEOUT" integer

acquire_lock
STEPS=8
if is_dry; then printf 'DRY RUN: nothing is started, stopped, written or reloaded.\n'; fi
detect_active
CURRENT=$ACTIVE
PREVIOUS=$(other_color "$CURRENT")

step "Checks"
check_tools
check_upstreams
check_nginx
finish_preflight

# The release before the one serving (deploy/state/releases, first brought up to what serves: a
# deploy killed after its switch did not record its release); without a history, whatever image
# the previous color's container has
record_serving
TARGET_IMAGE=$(release_image 2)
[ -n "$TARGET_IMAGE" ] || TARGET_IMAGE=$(color_image "$PREVIOUS")
printf '\nrollback: %s is active, switching back to %s%s\n' "$CURRENT" "$PREVIOUS" "${TARGET_IMAGE:+ on $TARGET_IMAGE}"

step "Start $PREVIOUS again${TARGET_IMAGE:+ on $TARGET_IMAGE}"
KEPT_IMAGE=$(color_image "$PREVIOUS")
if [ -z "$TARGET_IMAGE" ] || [ "$KEPT_IMAGE" = "$TARGET_IMAGE" ]; then
  # the container the last deploy stopped and kept
  if color_running "$PREVIOUS" && ! is_dry; then
    say "$PREVIOUS already runs"
  else
    run_hook APP_RESUME_CMD "$PREVIOUS" \
      || die "$PREVIOUS could not be started (is its container gone? docker compose ps -a). $CURRENT keeps serving; to go back to an older release run deploy/deploy.sh --image <previous image>"
  fi
else
  # a failed deploy since has put another image on this color: recreate it from the release's image
  say "$PREVIOUS's container has ${KEPT_IMAGE:-no image}: recreating it on $TARGET_IMAGE"
  APP_IMAGE=$TARGET_IMAGE run_hook APP_START_CMD "$PREVIOUS" \
    || die "$PREVIOUS could not be recreated on $TARGET_IMAGE (docker image ls contact-sync). $CURRENT keeps serving."
fi

step "Wait for $PREVIOUS's /health/ready (timeout ${ROLLBACK_READY_TIMEOUT}s, every ${ROLLBACK_READY_INTERVAL}s)"
wait_ready "$PREVIOUS" "$ROLLBACK_READY_TIMEOUT" "$ROLLBACK_READY_INTERVAL" \
  || die "rollback aborted: $FAIL_REASON. $CURRENT keeps serving; nginx was not switched."

step "Switch nginx to $PREVIOUS"
switch_to "$PREVIOUS" || die "rollback aborted: $FAIL_REASON. $CURRENT keeps serving."
SWITCHED_AT=$(elapsed)

step "Verify through nginx"
if ! verify_through_nginx "$PREVIOUS"; then
  reason=$FAIL_REASON
  set_marker "$CURRENT" || die "rollback failed: $reason; switching back to $CURRENT failed too. Check $GREEN_MARKER now"
  die "rollback aborted: $reason. Switched back to $CURRENT."
fi
printf '\n    traffic is back on %s (switched at +%s)\n' "$PREVIOUS" "$SWITCHED_AT"

if [ "$KEEP_CURRENT" = 1 ]; then
  step "Let $CURRENT drain (skipped)"
  step "Stop $CURRENT (skipped: it keeps running as nginx's backup; deploy/deploy.sh will replace it)"
else
  step "Let $CURRENT drain"
  if is_dry; then say "[dry-run] would wait ${DRAIN_SECONDS}s while $CURRENT finishes the requests it holds"; else sleep "$DRAIN_SECONDS"; fi
  step "Stop $CURRENT (the container is kept)"
  run_hook APP_STOP_CMD "$CURRENT" || warn "could not stop $CURRENT; stop it by hand: docker compose stop app_$CURRENT"
fi

step "Record the release"
[ -z "$TARGET_IMAGE" ] || record_release "$PREVIOUS" "$TARGET_IMAGE"

printf '\nrollback done: %s serves (traffic switched at +%s, total %s)\n' "$PREVIOUS" "$SWITCHED_AT" "$(elapsed)"

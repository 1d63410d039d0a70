#!/usr/bin/env bash
# Test stand-in for the compose hooks of deploy/lib.sh: a color is a plain `node src/server.ts`
# process on loopback instead of a container.
#   color-process.sh start|stop|running|migrate COLOR
# Environment: COLOR_PROCESS_DIR (pid files and logs), ENV_FILE (the service's settings, like
# compose's env_file), COLOR_ENV_DIR/<color>.env (what compose's `environment:` adds: PORT,
# DEPLOY_COLOR, DATABASE_URL...).
set -euo pipefail

action=${1:?start, stop or running}
color=${2:?blue or green}
dir=${COLOR_PROCESS_DIR:?COLOR_PROCESS_DIR is not set}
pid_file=$dir/$color.pid
repo=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../../.." && pwd)

alive () { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

case "$action" in
  start)
    if alive; then exit 0; fi
    (
      set -a
      # shellcheck source=/dev/null
      . "$ENV_FILE"
      # shellcheck source=/dev/null
      . "$COLOR_ENV_DIR/$color.env"
      set +a
      cd "$repo"
      exec node src/server.ts
    ) >>"$dir/$color.log" 2>&1 </dev/null &
    echo "$!" >"$pid_file"
    ;;
  stop)
    # Like `docker compose stop` with stop_grace_period 15s: SIGTERM, SIGKILL after 15 s
    alive || exit 0
    pid=$(cat "$pid_file")
    kill -TERM "$pid"
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || exit 0
      sleep 0.1
    done
    echo "$color (pid $pid) did not exit within 15 s of SIGTERM: killed" >&2
    kill -KILL "$pid" 2>/dev/null || true
    ;;
  running)
    alive
    ;;
  migrate)
    # deploy.sh's one-shot migration step, with the color's settings
    (
      set -a
      # shellcheck source=/dev/null
      . "$ENV_FILE"
      # shellcheck source=/dev/null
      . "$COLOR_ENV_DIR/$color.env"
      set +a
      cd "$repo"
      exec node deploy/image/migrate.ts
    )
    ;;
  *)
    echo "unknown action $action" >&2
    exit 2
    ;;
esac

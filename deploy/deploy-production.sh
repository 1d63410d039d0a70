#!/usr/bin/env bash
# The seed's name for deploy/deploy.sh (`deploy-production.sh --dry-run` and the rest): the same script.
exec "$(dirname -- "${BASH_SOURCE[0]}")/deploy.sh" "$@"

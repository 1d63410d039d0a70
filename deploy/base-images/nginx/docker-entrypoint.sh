#!/bin/sh
# The part of the official nginx image's entrypoint that compose.yaml relies on
# (/docker-entrypoint.d/20-envsubst-on-templates.sh): when the command is nginx, every
# NGINX_ENVSUBST_TEMPLATE_DIR/*.template is rendered with envsubst into NGINX_ENVSUBST_OUTPUT_DIR,
# substituting only variables that are set, so nginx's own $variables stay as they are.
set -eu

if [ "${1:-}" = nginx ]; then
  template_dir=${NGINX_ENVSUBST_TEMPLATE_DIR:-/etc/nginx/templates}
  output_dir=${NGINX_ENVSUBST_OUTPUT_DIR:-/etc/nginx/conf.d}
  suffix=${NGINX_ENVSUBST_TEMPLATE_SUFFIX:-.template}
  if [ -d "$template_dir" ]; then
    defined=$(env | sed -nE 's/^([A-Za-z_][A-Za-z0-9_]*)=.*/${\1}/p' | tr '\n' ' ')
    find "$template_dir" -follow -type f -name "*$suffix" | while read -r template; do
      relative=${template#"$template_dir/"}
      output=$output_dir/${relative%"$suffix"}
      mkdir -p "$(dirname "$output")"
      echo "$0: envsubst $template > $output"
      envsubst "$defined" <"$template" >"$output"
    done
  fi
fi
exec "$@"

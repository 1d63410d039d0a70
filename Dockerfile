# syntax=docker/dockerfile:1
# contact-sync: Node 24 on Alpine with the production dependencies and the TypeScript source,
# which Node runs as is (built-in type stripping: no build step, no dist/).
# Build: docker compose build   (or: docker build -t contact-sync:latest .)

ARG NODE_VERSION=24
ARG ALPINE_VERSION=3.22

# ---- 1. production dependencies
FROM node:${NODE_VERSION}-alpine${ALPINE_VERSION} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: of the project's postinstall the image needs only patch-package applying
# patches/ (postgres.js's connection queues, see the patch), run here on its own before the dev
# dependencies (patch-package among them) are pruned; tap's plugin build and the embedded (PGlite)
# database template are dead weight in an image that always runs on DATABASE_URL. The one
# dependency with an install script, the dev dependency "node" (a pinned Node 24 for npm's scripts
# on machines with an older node, about 120 MB), is skipped too: the image has its own node, and
# the prune drops the package.
# Source maps and type declarations are never read at run time: dropped (about 11 MB).
COPY patches ./patches
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npx patch-package --error-on-fail \
 && npm prune --omit=dev --no-audit --no-fund \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete \
 && rm -rf /root/.npm

# ---- 2. the Node 24 binary alone (no npm, corepack or headers: about 20 MB less than node:24-alpine)
FROM node:${NODE_VERSION}-alpine${ALPINE_VERSION} AS node

# ---- 3. runtime
FROM alpine:${ALPINE_VERSION}
# libstdc++ (and libgcc) are the only shared libraries node links besides musl; the node user
# has the uid/gid of the official image's
RUN apk add --no-cache libstdc++ \
 && addgroup -g 1000 -S node \
 && adduser -u 1000 -S -D -H -G node -s /sbin/nologin node
COPY --from=node /usr/local/bin/node /usr/local/bin/node

WORKDIR /app
# Owned by root and read-only to the service's user: the process cannot rewrite its own code
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
EXPOSE 3000
USER node

# No curl or wget needed: node's own fetch. Ready = database answers and not shutting down.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 and gets SIGTERM itself (no shell in between); the service drains
# within 10 s, so compose gives it stop_grace_period: 15s before SIGKILL.
STOPSIGNAL SIGTERM
# V8 flags as in `npm start`: --max-semi-space-size=4, or V8 grows its young generation to about
# 200 MB under load; --heap-growing-percent=50, or it lets the old generation fill to about 4x
# its ~30 MB of live objects before collecting (peak RSS 166-236 -> 151-163 MB under intake load,
# at the same req/s within noise; BENCHMARKS.md).
# (npm start also sets MALLOC_ARENA_MAX=2 for glibc; Alpine's musl malloc has no per-thread arenas.)
CMD ["node", "--max-semi-space-size=4", "--heap-growing-percent=50", "src/server.ts"]

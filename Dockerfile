# contact-sync: Node 24 on Debian 12 (bookworm), the production dependencies and the TypeScript
# source, which Node runs as is (built-in type stripping: no build step, no dist/).
# Build: docker build -t contact-sync:<git sha> .   (deploy/deploy.sh does this)
# Versions are pinned: Node as package.json's devDependency "node"; the runtime is distroless's
# Debian 12 image with glibc and libstdc++ only (no shell, no package manager).

ARG NODE_VERSION=24.21.0

# ---- 1. production dependencies
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY patches ./patches
# --omit=dev: tap, TypeScript, ESLint, the simulator's ajv-formats and the pinned Node of the dev
# dependency "node" stay out. --omit=optional: the embedded PostgreSQL (PGlite, about 20 MB) is an
# optional dependency, loaded only when DATABASE_URL is unset, which it never is in a container.
# --ignore-scripts: the project's postinstall builds tap's plugins and PGlite's template (neither
# is here); of it the image needs only patch-package applying patches/ (postgres.js's connection
# queues), run on its own at the version package.json pins.
# Source maps and type declarations are never read at run time: dropped.
RUN npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund \
 && npx --yes patch-package@8.0.1 --error-on-fail \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.md' \) -delete \
 && rm -rf /root/.npm

# ---- 2. runtime: glibc, libgcc and libstdc++ (what node links), CA certificates, user nonroot (65532)
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=deps /usr/local/bin/node /usr/local/bin/node

WORKDIR /app
# Owned by root and read-only to the service's user: the process cannot rewrite its own code
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY deploy/image ./deploy/image

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    MALLOC_ARENA_MAX=2
EXPOSE 3000
USER 65532:65532

# No curl or shell: node's own fetch. Ready = database answers and not shutting down.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.status===200?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 and gets SIGTERM itself (there is no shell); the service drains within
# 10 s, so compose gives it stop_grace_period: 15s before SIGKILL.
STOPSIGNAL SIGTERM
# deploy/image/preload.ts: NAME_FILE variables (compose's secrets) become NAME before the start.
# V8 flags as in `npm start`: --max-semi-space-size=8, or V8 grows its young generation to about
# 200 MB under load; --heap-growing-percent=50, or it lets the old generation fill to about 4x
# its ~30 MB of live objects before collecting (BENCHMARKS.md). MALLOC_ARENA_MAX=2 as in npm start.
CMD ["node", "--import", "./deploy/image/preload.ts", "--max-semi-space-size=8", "--heap-growing-percent=50", "src/server.ts"]

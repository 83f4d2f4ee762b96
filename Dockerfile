# syntax=docker/dockerfile:1
#
# One image for every Oxbow app; the command is the argument:
#
#   docker build -t oxbow:0.1.0 .
#   docker run --rm oxbow:0.1.0 config                 # the effective configuration (OXBOW_* variables)
#   docker run oxbow:0.1.0                             # serve: the query API on 0.0.0.0:8080
#   docker run oxbow:0.1.0 speed | archiver | batch run | batch schedule --cron "5 * * * *"
#
# Node 24 runs the TypeScript sources directly (type stripping, docs/decisions/0001): there is no build step,
# the image holds the sources of the workspaces and their runtime dependencies only (`npm ci --omit=dev`).
# docs/operations.md describes the settings the apps need (Kafka, Redis, S3 and the lake URL).
# apps/cli/src/stack/dockerfile.test.ts checks this file.

# The Node release the project pins (the `node` devDependency in package-lock.json), on Debian bookworm.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

# 1. Only the package manifests and the lockfile. The install layer below is keyed on their content, so it is
#    rebuilt when a dependency changes, not when a source file does.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN mkdir /manifests \
  && cp package.json package-lock.json /manifests/ \
  && find apps libs tools -mindepth 2 -maxdepth 2 -name package.json -exec cp --parents {} /manifests/ \;

# 2. The runtime dependencies of the `oxbow` command and of the workspaces it imports; no devDependencies, no
#    tools (benchmarks, checks). `npm run lint:deps` (knip --production --strict) keeps runtime imports in
#    `dependencies`.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=manifests /manifests/ ./
RUN --mount=type=cache,target=/root/.npm \
  npm ci --omit=dev --workspace @oxbow/cli --no-audit --no-fund

# 3. The dashboard the serving API shows at `/` (apps/dashboard): Vite builds web/ into static files, copied below.
FROM ${NODE_IMAGE} AS dashboard
WORKDIR /app
COPY --from=deps /app/ ./
COPY apps/dashboard/ apps/dashboard/
RUN npm run build --workspace @oxbow/dashboard

# 4. The runtime image: sources without tests, runtime node_modules, the built dashboard, a non-root user.
FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="oxbow" \
  org.opencontainers.image.description="Oxbow: archiver, speed layer, batch layer and serving API (one image, command by argument)" \
  org.opencontainers.image.licenses="Apache-2.0"

# A fixed numeric user, so Kubernetes' runAsNonRoot can verify it. Its home is the state directory: the serving
# API's copies of the batch DuckDB files (OXBOW_SERVING_CACHE_DIR) and a file:// lake, if one is used, live there.
RUN groupadd --system --gid 10001 oxbow \
  && useradd --system --uid 10001 --gid oxbow --home-dir /var/lib/oxbow --create-home --shell /usr/sbin/nologin oxbow

ENV NODE_ENV=production \
  OXBOW_STATE_DIR=/var/lib/oxbow \
  OXBOW_LAKE=file:///var/lib/oxbow/lake/ \
  OXBOW_API_HOST=0.0.0.0

WORKDIR /app
COPY --from=deps /app/ ./
COPY LICENSE ./
COPY libs/ libs/
COPY apps/ apps/
COPY --from=dashboard /app/apps/dashboard/dist/ apps/dashboard/dist/

USER 10001:10001
EXPOSE 8080
ENTRYPOINT ["node", "apps/cli/src/main.ts"]
CMD ["serve"]

# The connector's worker (and CLI) image. Build: docker build -t peakon-scim-connector:0.1.0 .
# Debian slim rather than Alpine: the Temporal SDK's native core bridge is built against glibc.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied, and `postinstall` fetches the Temporal dev
# server CLI, which only tests, the local demo and `peakon-sync server` use; the image talks to a real Temporal service.
RUN npm ci --ignore-scripts
# Everything else the build needs; .dockerignore keeps tests, docs, local state and secrets out.
COPY . .
# Production dependencies only from here on: TypeScript, jest, eslint and the test bench (the sandbox's HTTP server,
# @temporalio/testing) are development dependencies, and the runtime image copies this node_modules.
RUN npm run build && npm prune --omit=dev --ignore-scripts

# The compose `demo` profile's Peakon-compatible sandbox (`docker build --target sandbox`). The sandbox is part of the
# test bench, which the runtime image below leaves out, so it gets its own image with every dependency. BuildKit builds
# this stage only when it is the target.
FROM ${NODE_IMAGE} AS sandbox
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/examples ./examples
USER node
ENTRYPOINT ["node", "dist/client/cli.js"]
CMD ["sandbox", "--host", "0.0.0.0", "--port", "8088"]

FROM ${NODE_IMAGE} AS runtime
# NODE_ENV=production also makes any npm command run in this image leave development dependencies out.
ENV NODE_ENV=production \
    PEAKON_SYNC_STATE_DIR=/var/lib/peakon-sync/state
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config/connector-config.schema.json ./config/connector-config.schema.json
COPY --from=build /app/bin ./bin
COPY --from=build /app/examples ./examples
# Reports, and the default local payload store with the ownership ledger, must outlive the container (several hosts
# share an S3 store instead: PEAKON_SYNC_PAYLOAD_STORE=s3://…). Made 0700 here: a named volume starts with the image's
# folder mode, and the worker tightens only folders it creates itself.
RUN install -d -m 0700 -o node -g node /var/lib/peakon-sync/state && chown node:node /var/lib/peakon-sync
VOLUME ["/var/lib/peakon-sync/state"]
USER node
# The worker is the default; the same image runs every production subcommand, e.g. `schedule list` or `codec-server`
# (`sandbox` and `demo` need the development dependencies: see the sandbox stage above; `server`, which starts a
# Temporal dev server, needs a `temporal` binary the image does not ship: mount one and set TEMPORAL_CLI_PATH). No key is baked in: the worker
# and every command that talks to Temporal refuse to start until PEAKON_SYNC_ENCRYPTION_KEY_FILE (a mounted secret, as
# docker-compose.yml does) or PEAKON_SYNC_ENCRYPTION_KEY is set.
ENTRYPOINT ["node", "dist/client/cli.js"]
CMD ["worker"]

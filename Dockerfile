# The connector's worker (and CLI) image. Build: docker build -t peakon-scim-connector:0.1.0 .
# Debian slim rather than Alpine: the Temporal SDK's native core bridge is built against glibc.
ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied, and `postinstall` fetches the Temporal dev
# server CLI, which only tests and the local demo use.
RUN npm ci --ignore-scripts
# Everything else the build needs; .dockerignore keeps tests, docs, local state and secrets out.
COPY . .
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PEAKON_SYNC_STATE_DIR=/var/lib/peakon-sync/state
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/config/connector-config.schema.json ./config/connector-config.schema.json
COPY --from=build /app/bin ./bin
COPY --from=build /app/examples ./examples
# Run state (plans, outcomes, reports) must outlive the container and be shared by every worker of a deployment.
RUN mkdir -p /var/lib/peakon-sync/state && chown -R node:node /var/lib/peakon-sync
VOLUME ["/var/lib/peakon-sync/state"]
USER node
# The worker is the default; the same image runs any subcommand, e.g. `schedule list` or `sandbox`.
ENTRYPOINT ["node", "dist/client/cli.js"]
CMD ["worker"]

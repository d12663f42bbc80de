# The API as a container image (docker-compose.yml runs two behind nginx; docs/operations.md).
# Node 22 LTS: supported until April 2027. package.json asks for Node 20.19 or newer.
FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY schema ./schema
COPY schema.graphql ./
COPY docs ./docs
COPY migrations ./migrations
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-bookworm-slim
ENV NODE_ENV=production PORT=4000 DATA_DIR=/app/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schema ./schema
COPY --from=build /app/schema.graphql ./
COPY --from=build /app/src/web/assets ./src/web/assets
COPY --from=build /app/docs ./docs
# DATA_DIR: the first coordinator token's file (0600) when no terminal is attached; nothing else with DATABASE_URL.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 4000
# Ready: migrated, picture loaded, PostgreSQL answering (/readyz answers within 5 s, 503 otherwise).
HEALTHCHECK --interval=10s --timeout=6s --start-period=120s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/readyz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM: /readyz says 503, then the drain (SHUTDOWN_DELAY_SECONDS + up to SHUTDOWN_TIMEOUT_SECONDS).
STOPSIGNAL SIGTERM
# Migrations run at start, under a lock; to run them alone: `npm run migrate` (uses the built code here).
# The Node flags of package.json's config.nodeFlags (docs/operations.md, "Memory"); test/unit/launch.test.ts keeps them equal.
CMD ["node", "--max-semi-space-size=32", "dist/src/main.js"]

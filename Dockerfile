# The API as a container. docker-compose.yml runs it next to PostgreSQL 16.
FROM node:20-bookworm-slim AS build
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

FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=4000
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/schema ./schema
COPY --from=build /app/schema.graphql ./
COPY --from=build /app/src/web/assets ./src/web/assets
COPY --from=build /app/docs ./docs
USER node
EXPOSE 4000
CMD ["node", "dist/src/main.js"]

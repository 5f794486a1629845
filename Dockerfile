# Klug GraphQL server image.
#
#   docker build -t klug .
#   docker run -p 4000:4000 -v klug-data:/data klug            # embedded PGlite in /data
#   docker run -p 4000:4000 -e DATABASE_URL=postgresql://... \
#     -e KLUG_SECRET_KEY=$(openssl rand -hex 32) klug          # external PostgreSQL
#
# There is no separate build step: the server runs from TypeScript source with tsx.
# Database migrations (prisma/migrations) are applied by the server itself at start-up
# (src/db/migrator.ts), so no migrate command is needed before `docker run`.

# ---- build: install dependencies and generate the Prisma client -------------
FROM node:20-bookworm-slim AS build
WORKDIR /app

# `npm ci` runs the postinstall hook (node scripts/prisma-generate.mjs), which needs
# scripts/, prisma/ and prisma.config.ts in place before installing.
COPY package.json package-lock.json prisma.config.ts ./
COPY scripts/ ./scripts/
COPY prisma/ ./prisma/
RUN npm ci --no-audit --no-fund

# Sources last, so code changes do not invalidate the dependency layer.
# (src/generated is excluded by .dockerignore; the client generated above is kept.)
COPY tsconfig.json schema.graphql ./
COPY src/ ./src/

# ---- runtime -----------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
WORKDIR /app

ENV NODE_ENV=production PORT=4000 KLUG_DATA_DIR=/data

COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/src ./src
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/scripts ./scripts
COPY --from=build /app/prisma.config.ts ./prisma.config.ts
COPY --from=build /app/tsconfig.json ./tsconfig.json

# Persistent state (embedded PGlite database and generated secret key when no
# DATABASE_URL / KLUG_SECRET_KEY is given). Created before VOLUME so it is owned by node.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

USER node
EXPOSE 4000

# slim has no curl: probe the liveness endpoint with node's built-in fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 4000) + '/health', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# the Node flags of package.json's config.node_flags, as `npm start` passes them
CMD ["npx", "tsx", "--max-semi-space-size=32", "--heap-growing-percent=50", "src/main.ts"]

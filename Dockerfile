# syntax=docker/dockerfile:1
# Portico server and worker image: `docker build -t portico .`
#   server: node dist/apps/server/src/main.js (the default command)
#   worker: node dist/apps/worker/src/main.js
#   migrations: node dist/apps/server/src/cli/migrate.js

FROM node:24-bookworm-slim AS build
WORKDIR /app
# argon2 and better-sqlite3 install prebuilt binaries; the toolchain is there for when none fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY migrations migrations
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
# package.json marks the project root; the console's views and assets are read at run time.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY --from=build /app/libs/web/views libs/web/views
COPY --from=build /app/libs/web/assets libs/web/assets
COPY --from=build /app/libs/mail/templates libs/mail/templates
# The embedded SQLite default writes to /app/data; mount a volume there to keep it.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "dist/apps/server/src/main.js"]

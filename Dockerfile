# syntax=docker/dockerfile:1
# PeerConnect: build with dev dependencies, run with production ones only.

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci
COPY tsconfig.base.json tsconfig.server.json tsconfig.browser.json tsconfig.build.json ./
COPY scripts ./scripts
COPY types ./types
COPY protocol ./protocol
COPY core ./core
COPY proxy ./proxy
COPY injector ./injector
COPY seeder ./seeder
COPY client ./client
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
# .npmrc keeps install scripts off: every native piece ships prebuilt in its package.
RUN npm ci --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
# The built-in demo site (used when ORIGIN is unset) reads its media from here.
COPY proxy/demo/media ./proxy/demo/media
# Torrent files are written under P2P_TORRENT_ROUTE (./assets): owned by the runtime user.
RUN mkdir -p assets/videos && chown -R node:node assets
USER node
EXPOSE 8080
# Node is PID 1: the CLI handles SIGTERM and SIGINT itself (graceful drain within
# SHUTDOWN_TIMEOUT_MS) and starts no child processes, so no init is needed to reap them.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+(process.env.P2P_PREFIX||'/__p2p')+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/proxy/cli.js"]

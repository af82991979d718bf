# syntax=docker/dockerfile:1
# Qanat: one Node.js process, one data volume. Build: docker build -t qanat .
# Run it through docker-compose.yml (Traefik + Let's Encrypt in front), see README "Deploy".

# ---- build: compile the native modules and the TypeScript, then drop dev dependencies ----
FROM node:24-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 and argon2 compile from source when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --omit=peer --no-audit --no-fund \
 && npm cache clean --force \
 && rm -f dist/.tsbuildinfo \
 # compiler leftovers of the native modules: only build/Release/*.node is loaded at run time
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && find node_modules -path '*/build/Release/obj*' -prune -exec rm -rf {} + \
 && find node_modules -path '*/build/Release/.deps' -prune -exec rm -rf {} +

# ---- runtime: Node 24 LTS on Debian slim, ffmpeg for video, tini as PID 1 ----
FROM node:24-bookworm-slim
# Debian's ffmpeg drags in Mesa's OpenGL drivers and LLVM (about 165 MB) through libavdevice;
# a headless transcoder never creates a GL context, so they go (the transcode below proves it).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg tini \
 && dpkg --remove --force-depends libgl1-mesa-dri libllvm15 libz3-4 \
 && rm -rf /var/lib/apt/lists/* /var/cache/debconf/*-old /usr/share/doc /usr/share/man \
 && ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc=duration=1:size=64x64:rate=10 -c:v libx264 -pix_fmt yuv420p -f mp4 /tmp/check.mp4 \
 && ffprobe -v error -show_entries stream=codec_name -of csv=p=0 /tmp/check.mp4 \
 && rm /tmp/check.mp4
# MALLOC_ARENA_MAX=2: glibc otherwise gives each of libvips' threads its own memory pool; with two,
# preparing photos peaks 40-70 MB lower at the same speed (measured by bench/media.ts).
ENV NODE_ENV=production \
    DATA_DIR=/app/data \
    PORT=3000 \
    MALLOC_ARENA_MAX=2
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY views ./views
COPY migrations ./migrations
COPY src/i18n ./src/i18n
COPY docker/qanat /usr/local/bin/qanat
# The data volume (database, media, logs, backups) belongs to the unprivileged node user.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0750 /app/data
USER node
VOLUME ["/app/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# tini forwards SIGTERM to Node, which finishes requests and closes the database before exiting.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/src/main.js"]

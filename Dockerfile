# reseller-worker: the unattended daemon. Data (SQLite file, token store, reports) lives on the /data volume;
# point RW_WORKER_DATABASE_URL at PostgreSQL to keep it there instead (see deploy/docker-compose.yml).
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY rules ./rules
COPY integrations ./integrations
COPY worker ./worker
COPY config ./config
RUN pip install --no-cache-dir --prefix=/install .

FROM python:3.11-slim
RUN groupadd --system --gid 10001 worker \
 && useradd --system --uid 10001 --gid worker --home-dir /data --shell /usr/sbin/nologin worker \
 && mkdir -p /data /etc/reseller-worker \
 && chown worker:worker /data
COPY --from=build /install /usr/local
# The example's settings, so a container started without your own says which placeholders to replace and stops
# (mount your worker.toml over this file: deploy/docker-compose.yml does).
COPY config/example.toml /etc/reseller-worker/worker.toml
ENV RW_CONFIG=/etc/reseller-worker/worker.toml \
    RW_WORKER_DATA_DIR=/data \
    RW_WORKER_LOG_FORMAT=json \
    RW_WEB_ENABLED=true \
    RW_WEB_HOST=0.0.0.0 \
    PYTHONUNBUFFERED=1
USER worker
WORKDIR /data
VOLUME ["/data"]
# The review page (`run` serves it with RW_WEB_ENABLED=true). Publish it to the host's loopback only and put a TLS
# reverse proxy in front (README); add a user with `docker compose exec worker reseller-worker web add-user NAME`.
EXPOSE 8377
# `health` exits non-zero when any job is late or failing, which marks the container unhealthy.
HEALTHCHECK --interval=60s --timeout=15s --start-period=120s --retries=3 CMD ["reseller-worker", "health"]
STOPSIGNAL SIGTERM
# `db upgrade` creates the database on a new volume and migrates an existing one; it refuses one that was in use
# and is now gone, empty or damaged, so the container stops instead of starting on an empty database.
CMD ["sh", "-c", "reseller-worker db upgrade && exec reseller-worker run"]

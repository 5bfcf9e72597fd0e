# cramp-bot in a container: slim Python, a non-root user, the database on a volume.
#   docker build -t cramp-bot .
#   docker run -d --name cramp-bot --restart unless-stopped \
#     -e TELEGRAM_BOT_TOKEN=123456789:AA... -v cramp-bot-data:/data cramp-bot
FROM python:3.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CRAMP_BOT_DB=/data/cramp-bot.db

RUN groupadd --system --gid 10001 cramp \
    && useradd --system --uid 10001 --gid cramp --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin cramp \
    && mkdir /data \
    && chown cramp:cramp /data \
    && chmod 0700 /data

WORKDIR /src
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY content ./content
RUN pip install --no-compile . \
    && rm -rf /src

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# Webhook mode only (CRAMP_BOT_WEBHOOK_URL set): the bot listens here behind your TLS proxy.
ENV CRAMP_BOT_LISTEN=0.0.0.0:8443
EXPOSE 8443

HEALTHCHECK --interval=60s --timeout=10s --start-period=30s --retries=3 \
    CMD ["cramp-bot", "health"]

STOPSIGNAL SIGTERM
ENTRYPOINT ["cramp-bot"]
CMD ["run"]

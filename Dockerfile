# One image for `aiom serve` and `aiom worker` (choose with the command: `serve`, `worker`, `db upgrade`).
# Build: docker build -t aiom .      Run: docker run --env-file .env -p 3978:3978 aiom serve

FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
WORKDIR /src
RUN python -m venv /opt/aiom
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY conversations ./conversations
COPY notifications ./notifications
COPY storage ./storage
COPY vocabulary ./vocabulary
# Only wheels are installed (every dependency ships one for linux x86_64 and arm64): no compiler needed,
# and the final stage copies the virtual environment alone, without pip's caches or the sources.
RUN /opt/aiom/bin/pip install --no-cache-dir --only-binary=:all: --no-binary=aiom . \
    && /opt/aiom/bin/pip uninstall --yes pip

FROM python:3.11-slim-bookworm
RUN groupadd --system --gid 10001 aiom \
    && useradd --system --uid 10001 --gid aiom --home-dir /app --create-home --shell /usr/sbin/nologin aiom
COPY --from=build /opt/aiom /opt/aiom
ENV PATH=/opt/aiom/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    AIOM_HOST=0.0.0.0 \
    AIOM_PORT=3978 \
    AIOM_WORKER_PORT=3979 \
    AIOM_LOG_FORMAT=json
WORKDIR /app
USER 10001:10001
EXPOSE 3978 3979
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "bot.healthcheck"]
ENTRYPOINT ["aiom"]
CMD ["serve"]

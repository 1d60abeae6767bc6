# One image for every Snag service: migrate, bot (snag serve) and scheduler.
FROM python:3.11-slim AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SNAG_DATA_DIR=/app/var

RUN groupadd --system snag && useradd --system --gid snag --home-dir /app snag
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY adapters ./adapters
COPY classifier ./classifier
COPY store ./store
COPY digests ./digests
RUN pip install --upgrade pip && pip install .

# Train the classifier at build time so the first report is tagged at once (its SQLite file for
# corrections is a throwaway: the services use PostgreSQL).
RUN mkdir -p /app/var \
    && SNAG_DATABASE_URL=sqlite:////tmp/build.db snag train --if-missing \
    && rm -f /tmp/build.db && chown -R snag:snag /app/var

USER snag
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz').status == 200 else 1)"
CMD ["snag", "serve"]

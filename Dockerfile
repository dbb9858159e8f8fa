# syntax=docker/dockerfile:1
# Meguri production image: the API (uvicorn, several workers) and the job worker.
#   docker build -t meguri .
# Normally run through compose.yaml; see docs/production.md.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH \
    MEGURI_PRODUCTION=true \
    MEGURI_HOST=0.0.0.0 \
    MEGURI_PORT=8000 \
    MEGURI_DATA_DIR=/var/lib/meguri

RUN groupadd --system meguri \
 && useradd --system --gid meguri --home-dir /var/lib/meguri --shell /usr/sbin/nologin meguri \
 && mkdir -p /var/lib/meguri \
 && chown meguri:meguri /var/lib/meguri \
 && python -m venv /opt/venv

# The source tree (packages, Alembic migrations) stays at /app, owned by root and
# read-only for the service user. The project is installed without dev extras;
# editable so that the migrations next to the packages are found from /app.
WORKDIR /app
COPY . /app
RUN pip install -e . \
 && python -m compileall -q /app

USER meguri
EXPOSE 8000

HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

CMD ["sh", "-c", "meguri db upgrade && meguri serve --no-demo --host 0.0.0.0 --workers 4"]

# One image for both services: `docker run IMAGE ingest` or `docker run IMAGE enrich`.
# Build: docker build -t newswire:0.1.0 .   (docker-compose.yml does this for you)

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm

FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore

RUN python -m venv /opt/newswire
WORKDIR /src

# Dependencies before the code, so editing the code does not reinstall spaCy and its model.
# requirements.lock pins every transitive dependency (the dev tools too); used as constraints,
# it pins exactly the runtime ones pyproject.toml asks for.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > runtime-requirements.txt \
    && /opt/newswire/bin/pip install -c requirements.lock -r runtime-requirements.txt

COPY README.md ./
COPY newswire/ newswire/
COPY services/ services/
COPY schemas/ schemas/
RUN /opt/newswire/bin/pip install --no-deps .


FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="newswire" \
      org.opencontainers.image.description="Streaming news ingestion: feeds and seeds into Kafka, enriched with entities and topics." \
      org.opencontainers.image.licenses="Apache-2.0"

RUN groupadd --system --gid 10001 newswire \
    && useradd --system --uid 10001 --gid newswire --create-home --home-dir /home/newswire \
        --shell /usr/sbin/nologin newswire

# Owned by root and so read-only for the service user: the code cannot be changed at run time.
COPY --from=build /opt/newswire /opt/newswire

ENV PATH=/opt/newswire/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

WORKDIR /home/newswire
# Numeric, so orchestrators that require a non-root user can verify it without /etc/passwd.
USER 10001:10001

# ingest serves /metrics, /healthz and /readyz on 9101, enrich on 9102 (NEWSWIRE_METRICS_PORT).
EXPOSE 9101 9102

# The image does not know which service it runs: probe NEWSWIRE_METRICS_PORT if set, else
# whichever default port is listening (a container runs one service). Slim has no curl.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, socket, urllib.request; ports = [int(p) for p in os.environ.get('NEWSWIRE_METRICS_PORT', '9101 9102').split()]; port = next(p for p in ports if socket.socket().connect_ex(('127.0.0.1', p)) == 0); urllib.request.urlopen(f'http://127.0.0.1:{port}/healthz', timeout=4)"]

ENTRYPOINT ["newswire"]
CMD ["--help"]

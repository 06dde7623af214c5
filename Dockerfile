# plate-service: offline Russian licence-plate reader. Model weights are baked in.
#   make docker-build     (docker build -t plate-service:<version in setup.cfg> .)
#   make docker-run       (docker run -p 8080:8080 plate-service:<version>)
# Offline machines: --build-arg BASE_IMAGE=local/python:3.11-slim (see README).
ARG BASE_IMAGE

# Every stage starts from one base: by default a pinned Python release, so that a
# rebuild gets the Python the image was checked with.
FROM ${BASE_IMAGE:-python:3.11.14-slim} AS base

FROM base AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
COPY setup.cfg setup.py README.md constraints.txt ./
COPY plate_service ./plate_service
# The versions the tests ran with (constraints.txt), so a later build holds the same.
RUN /opt/venv/bin/pip install --no-compile -c constraints.txt . \
 && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} + \
 && rm -rf /opt/venv/lib/python3.11/site-packages/pip* /opt/venv/bin/pip*

# A stand-in image provider for demos (docker compose): a tool of its own, with the
# plates it ships with (rendered by this repository's generator).
FROM base AS demo-provider
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 PORT=7777
COPY demo_provider /src/demo_provider
COPY constraints.txt /src/
RUN pip install --no-compile -c /src/constraints.txt /src/demo_provider && rm -rf /src
USER 10001
EXPOSE 7777
ENTRYPOINT ["plate-demo-provider"]

# The service (default target).
FROM base AS service
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MODELS_DIR=/app/models \
    HOST=0.0.0.0 \
    PORT=8080
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin plate
COPY --from=build /opt/venv /opt/venv
COPY --chown=root:root models /app/models
WORKDIR /app
USER 10001
EXPOSE 8080
# /health, not /ready: a worker whose queue is full is busy, not broken.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8080'), timeout=2)"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "plate_service"]

# syntax=docker/dockerfile:1
# Build stage: install cityops and its dependencies into a virtual environment.
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# DL3008 (pin apt versions) is ignored on purpose: the bookworm tag already fixes the release,
# and Debian drops superseded versions from its archive, so a pin breaks the build at the next
# point or security release instead of making it reproducible.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY . .
RUN pip install .

# Runtime stage: no compiler, a non-root user, a CJK font for QR labels.
FROM python:3.11-slim-bookworm
# DL3008: as in the build stage.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --gid 10001 cityops \
    && useradd --create-home --uid 10001 --gid 10001 cityops \
    && mkdir -p /var/lib/cityops \
    && chown cityops:cityops /var/lib/cityops
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    CITYOPS_ENV=production \
    CITYOPS_VAR_DIR=/var/lib/cityops \
    CITYOPS_HOST=0.0.0.0 \
    CITYOPS_WORKERS=4
# The reverse proxy (load balancer) in front: only it may name the client's address in
# X-Forwarded-For, or every citizen shares the proxy's address and its per-address limits.
# Set it to the proxy's address or network, e.g. `docker run -e
# CITYOPS_TRUSTED_PROXIES=172.16.0.0/12 ...` behind a proxy on a Docker network; empty trusts
# no one (the API faces clients directly).
ENV CITYOPS_TRUSTED_PROXIES=""
# Numeric, so the runtime can tell it is not root (Kubernetes runAsNonRoot) without /etc/passwd.
USER 10001:10001
WORKDIR /var/lib/cityops
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"]
CMD ["cityops", "serve"]

# syntax=docker/dockerfile:1
#
#   docker build -t memberdrive .
#   docker run -p 8080:8080 -v memberdrive-data:/data \
#     -e MEMBERDRIVE_BASE_URL=https://members.example.org memberdrive
#   docker run --rm -v memberdrive-data:/data memberdrive migrate   # any other subcommand too
#
# One static-ish binary: SQLite, libpq and OpenSSL are built from source into
# it (libsqlite3-sys/pq-sys "bundled", openssl-sys "vendored"), and templates
# and static files are compiled in, so the runtime image needs no libraries
# beyond glibc and no files from the source tree.

FROM rust:1-slim-bookworm AS builder
# perl and make build the vendored OpenSSL that the bundled libpq links to.
# Debian versions are not pinned: bookworm's point releases drop old ones.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends perl make pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The cache mounts keep the crate registry and compiled dependencies between
# builds; the binary is copied out of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
 && install -m 0755 target/release/memberdrive /usr/local/bin/memberdrive

FROM debian:bookworm-slim
# ca-certificates: TLS to Stripe and SMTP; curl: the HEALTHCHECK below.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 memberdrive \
 && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin memberdrive \
 && mkdir -p /data/mail \
 && chown -R memberdrive:memberdrive /data
COPY --from=builder /usr/local/bin/memberdrive /usr/local/bin/memberdrive

# A new named volume takes the ownership set above, so the non-root user can
# write the database and the mail directory.
WORKDIR /data
VOLUME /data
ENV DATABASE_URL=sqlite:///data/memberdrive.db \
    MEMBERDRIVE_BIND=0.0.0.0:8080 \
    MEMBERDRIVE_MAIL_DIR=/data/mail
USER 10001:10001
EXPOSE 8080
# Probes the default bind address; change it too if MEMBERDRIVE_BIND's port changes.
# Shell form on purpose: `|| exit 1` maps curl's error codes to "unhealthy".
# hadolint ignore=DL3025
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["memberdrive"]
CMD ["serve"]

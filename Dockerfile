# syntax=docker/dockerfile:1
# One image with both binaries: `user-service` and `carbon-service`.

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src

# Dependency layer: build the dependencies against stub sources so that
# source edits don't rebuild them.
COPY Cargo.toml Cargo.lock ./
COPY common/Cargo.toml common/
COPY user-service/Cargo.toml user-service/
COPY carbon-service/Cargo.toml carbon-service/
COPY e2e/Cargo.toml e2e/
RUN mkdir -p common/src user-service/src carbon-service/src e2e/src \
 && for crate in common user-service carbon-service e2e; do touch $crate/src/lib.rs; done \
 && echo 'fn main() {}' > user-service/src/main.rs \
 && echo 'fn main() {}' > carbon-service/src/main.rs \
 && cargo build --release --locked -p user-service -p carbon-service

COPY . .
# Newer mtimes than the stubs, so cargo rebuilds the workspace crates.
RUN touch common/src/lib.rs user-service/src/lib.rs user-service/src/main.rs \
          carbon-service/src/lib.rs carbon-service/src/main.rs \
 && cargo build --release --locked -p user-service -p carbon-service

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home app
COPY --from=build /src/target/release/user-service /src/target/release/carbon-service /usr/local/bin/
USER app
ENV HOST=0.0.0.0 LOG_FORMAT=json
EXPOSE 8081 8082
CMD ["user-service"]

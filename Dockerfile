# Build: the release binary carries the questionnaire, templates and fonts inside it.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin social-readiness

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /app app && mkdir -p /app/data && chown app /app/data
COPY --from=build /src/target/release/social-readiness /usr/local/bin/social-readiness
USER app
WORKDIR /app
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
CMD ["social-readiness"]

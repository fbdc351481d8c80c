# fs-data-sink in a distroless container: the compiled binary, non-root, config mounted at
# /etc/fs-data-sink/config.yaml (override with --config or FS_DATA_SINK flags/env).
#
#   docker build -t fs-data-sink .                  # compiles inside the build stage
#   docker run --rm -v $PWD/config.yaml:/etc/fs-data-sink/config.yaml:ro fs-data-sink
#
# The release workflow uses the `from-dist` target, which takes binaries already compiled by `deno task compile`.

# ---- build stage: compile from source ------------------------------------------------------------------------
FROM denoland/deno:2.9.6 AS build
WORKDIR /src
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src/ src/
COPY .github/scripts/ .github/scripts/
RUN deno install --frozen \
 && deno compile --allow-read --allow-write --allow-net --allow-env --allow-sys --no-prompt \
      --v8-flags=--max-old-space-size=2000,--max-semi-space-size=8,--heap-growing-percent=50 --output /out/fs-data-sink \
      --include src/pipeline/assembly/worker.ts main.ts

# ---- runtime from a source build (default target) ------------------------------------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot AS from-source
COPY --from=build /out/fs-data-sink /usr/local/bin/fs-data-sink
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/fs-data-sink"]
CMD ["run", "--config", "/etc/fs-data-sink/config.yaml"]

# ---- runtime from release binaries in dist/ (used by .github/workflows/release.yml) --------------------------
FROM gcr.io/distroless/cc-debian12:nonroot AS from-dist
ARG TARGETARCH
# dist/docker/<amd64|arm64> are the linux binaries, named by Docker architecture by the release workflow.
COPY dist/docker/${TARGETARCH} /usr/local/bin/fs-data-sink
USER nonroot:nonroot
WORKDIR /home/nonroot
ENTRYPOINT ["/usr/local/bin/fs-data-sink"]
CMD ["run", "--config", "/etc/fs-data-sink/config.yaml"]

FROM from-source

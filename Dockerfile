# flexemu in a container: a static binary on distroless, non-root.
#
#   docker build -t flexemu .
#   docker run --rm -p 7070:7070 flexemu
#   docker run --rm -p 7070:7070 -v "$PWD/fixtures:/fixtures:ro" flexemu --fixture /fixtures/mine.yaml
#   docker run --rm -p 7070:7070 -v flexemu-state:/state flexemu --state /state/flexemu.state
#
# It listens on 0.0.0.0:7070 inside the container (so -p and service
# containers reach it) and says so with a WARNING on stderr: the control API
# has no authentication. Publish it on loopback only (-p 127.0.0.1:7070:7070)
# on a shared machine. The binaries are built by scripts/build-static.sh,
# which builds the same bytes outside Docker (make build-static).

# The Go version of go.mod.
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN OUT=/out scripts/build-static.sh
# A directory the non-root user may write, for --state (a volume mounted
# there starts with its owner).
RUN mkdir -p /state

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/emulator /out/send /
COPY --from=build --chown=65532:65532 /state /state
USER nonroot:nonroot
EXPOSE 7070
ENTRYPOINT ["/emulator", "up", "--addr", "0.0.0.0:7070"]

#!/usr/bin/env bash
# Builds the static, reproducible binaries the Dockerfile builds, with the
# same flags, into ${OUT:-bin/static}: no cgo (no libc to depend on),
# -trimpath (no build paths), no VCS stamp and an empty build ID (the same
# source and Go version give the same bytes on any machine).
#
#   scripts/build-static.sh            (or: make build-static)
#   OUT=/tmp/x GOARCH=arm64 scripts/build-static.sh
#   scripts/build-static.sh --check    builds twice and compares sha256 (make reproducible)
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}

# The Dockerfile runs this very script, so the flags live in one place.
build() {
	mkdir -p "$1"
	CGO_ENABLED=0 $go build -trimpath -buildvcs=false -ldflags='-s -w -buildid=' -o "$1/" ./cmd/emulator ./cmd/send
}

if [ "${1:-}" = "--check" ]; then
	a=$(mktemp -d) b=$(mktemp -d) cache=$(mktemp -d)
	trap 'chmod -R u+w "$cache"; rm -rf "$a" "$b" "$cache"' EXIT
	build "$a"
	# A second build from an empty cache, so nothing is merely copied over.
	GOCACHE=$cache build "$b"
	(cd "$a" && sha256sum emulator send)
	if (cd "$a" && sha256sum emulator send) | (cd "$b" && sha256sum -c --quiet -); then
		echo "reproducible: two builds (the second from an empty build cache) are byte for byte identical"
	else
		echo "NOT reproducible: the two builds differ" >&2
		exit 1
	fi
	exit 0
fi

out=${OUT:-bin/static}
build "$out"
(cd "$out" && sha256sum emulator send)

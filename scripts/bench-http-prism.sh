#!/usr/bin/env bash
# GET list throughput of flexemu next to Stoplight Prism mocking Twilio's
# TaskRouter OpenAPI spec: the same load generator (scripts/benchhttp, keep-
# alive connections) hits Prism's GET /v1/Workspaces, then flexemu's
# GET /taskrouter/v1/Workspaces (in-process, embedded default fixture; both
# answer one workspace in Twilio's list envelope). Each server is measured
# alone; the last line is flexemu's req/s over Prism's.
#
#   scripts/bench-http-prism.sh [path/to/twilio_taskrouter_v1.json|.yaml]
#   CONNS=8 DURATION=10s PRISM_PORT=4010 PRISM_FLAGS="-v warn" scripts/bench-http-prism.sh
#
# Prism comes from npm through npx (@stoplight/prism-cli@5, cached after the
# first run). The spec is read where it lies (default: $TWILIO_OAI or
# /work/shared/twilio-oai); it is never copied into this repository.
set -euo pipefail

oai=${TWILIO_OAI:-/work/shared/twilio-oai}
spec=${1:-$oai/twilio_taskrouter_v1.json}
if [ ! -f "$spec" ] && [ -z "${1:-}" ] && [ -f "$oai/twilio_taskrouter_v1.yaml" ]; then
	spec=$oai/twilio_taskrouter_v1.yaml
fi
if [ ! -f "$spec" ]; then
	echo "bench-http-prism: no spec at $spec; pass the path of Twilio's twilio_taskrouter_v1.json (or .yaml)" >&2
	exit 2
fi
conns=${CONNS:-8}
dur=${DURATION:-10s}
port=${PRISM_PORT:-4010}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
prism_pid=

stop_prism() {
	if [ -n "$prism_pid" ]; then
		# setsid made Prism (npx and its node children) a process group of its own.
		kill -- "-$prism_pid" 2>/dev/null || kill "$prism_pid" 2>/dev/null || true
		wait "$prism_pid" 2>/dev/null || true
		prism_pid=
	fi
}
trap 'stop_prism; rm -rf "$tmp"' EXIT

(cd "$root" && go build -o "$tmp/benchhttp" ./scripts/benchhttp)

if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
	echo "bench-http-prism: something already listens on 127.0.0.1:$port; set PRISM_PORT" >&2
	exit 2
fi
echo "== Prism (@stoplight/prism-cli@5) mocking $spec on 127.0.0.1:$port ${PRISM_FLAGS:-}"
# shellcheck disable=SC2086 # PRISM_FLAGS is a list of flags
setsid npx --yes @stoplight/prism-cli@5 mock -h 127.0.0.1 -p "$port" ${PRISM_FLAGS:-} "$spec" >"$tmp/prism.log" 2>&1 &
prism_pid=$!
for _ in $(seq 1 300); do
	if curl -s -o /dev/null -u "x:y" "http://127.0.0.1:$port/v1/Workspaces"; then
		break
	fi
	if ! kill -0 "$prism_pid" 2>/dev/null; then
		echo "bench-http-prism: Prism exited:" >&2
		tail -20 "$tmp/prism.log" >&2
		exit 1
	fi
	sleep 1
done
"$tmp/benchhttp" -url "http://127.0.0.1:$port" -path /v1/Workspaces -name prism -c "$conns" -d "$dur" | tee "$tmp/prism.out"
stop_prism

echo
echo "== flexemu (in-process, embedded default fixture)"
"$tmp/benchhttp" -name flexemu -c "$conns" -d "$dur" | tee "$tmp/flexemu.out"

rps() { awk '/^result /{for (i = 2; i <= NF; i++) if (index($i, "rps=") == 1) print substr($i, 5)}' "$1"; }
p=$(rps "$tmp/prism.out")
f=$(rps "$tmp/flexemu.out")
echo
awk -v f="$f" -v p="$p" -v c="$conns" 'BEGIN {
	if (p + 0 == 0) { print "Prism answered nothing; no ratio"; exit 1 }
	printf "GET list, %d connections: flexemu %d req/s, Prism %d req/s: flexemu = %.1fx Prism\n", c, f, p, f / p }'

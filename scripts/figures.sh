#!/usr/bin/env bash
# The hardening figures, measured side by side in one run on this machine:
# retained heap per inbound conversation, inbound throughput and latency at
# 1/16/64 senders and beside a hanging receiver, shutdown with a webhook
# backlog, a 100k-message soak, and GET list throughput next to Prism.
#
#   scripts/figures.sh            (or: make figures)
#   SKIP_PRISM=1 scripts/figures.sh   without the Prism comparison (needs npx)
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}

echo "== retained heap per inbound conversation (make heap)"
scripts/bench-load.sh heap | grep -E '^Benchmark'

echo "== inbound to a new conversation over HTTP (make bench-load)"
scripts/bench-load.sh load | grep -E '^Benchmark'

echo "== SIGTERM with 20 events queued for a hanging receiver"
$go test -count=1 -run='^TestSIGTERMIsPromptWithAHangingReceiver$' -v ./cmd/emulator/ | grep -E 'SIGTERM to exit|^(ok|FAIL|---)'

echo "== soak: 100,000 inbound messages (make soak)"
FLEXEMU_SOAK_MESSAGES=100000 scripts/bench-load.sh soak | grep -E 'soak_test|^(ok|FAIL)'

if [ -z "${SKIP_PRISM:-}" ]; then
	echo "== GET list throughput next to Prism (make bench-http-prism)"
	scripts/bench-http-prism.sh
fi

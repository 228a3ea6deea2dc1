#!/usr/bin/env bash
# Installs what the tests that drive real clients need; without it those
# tests skip (make test stays green) instead of running:
#   - twilio-node for examples/node (the twilio-node round trip and
#     cmd/emulator's `emulator exec -- node` test),
#   - twilio-taskrouter and @twilio/conversations for examples/agentsdk,
#   - Debian's chromium for the console's browser test (best effort: needs
#     root and apt-get; elsewhere, install Chromium or Chrome yourself).
#
#   scripts/install-test-deps.sh          (or: make test-deps)
#   SKIP_BROWSER=1 scripts/install-test-deps.sh   npm dependencies only (make node-deps)
#
# .ci/run runs it, then sets FLEXEMU_REQUIRE_NODE=1 so the Node tests fail
# rather than skip when something is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if command -v npm >/dev/null 2>&1; then
	for dir in examples/node examples/agentsdk; do
		echo "npm ci in $dir"
		(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
	done
else
	echo "npm not found: the twilio-node and agent SDK tests will skip (install Node.js 18 or later)" >&2
fi

if [ -n "${SKIP_BROWSER:-}" ]; then
	exit 0
fi
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1; then
	echo "browser: $(command -v chromium chromium-browser google-chrome 2>/dev/null | head -1)"
elif command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ] &&
	apt-get update -qq && apt-get install -y -qq chromium; then
	echo "browser: chromium installed"
else
	echo "chromium not installed: the console's browser test will skip" >&2
fi

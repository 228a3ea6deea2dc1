#!/usr/bin/env bash
# The load figures of the emulator package, one by one or together:
#
#   scripts/bench-load.sh load   inbound to a new conversation over HTTP: throughput and
#                                p50/p99 at 1/16/64 senders, latency beside a hanging receiver (make bench-load)
#   scripts/bench-load.sh heap   retained heap per inbound conversation (make heap;
#                                FLEXEMU_HEAPPROFILE=heap.prof writes a pprof profile)
#   scripts/bench-load.sh soak   100k inbound messages: the timeline and logs rotate, the heap
#                                stays under the documented bound (make soak; FLEXEMU_SOAK_MESSAGES=N)
#   scripts/bench-load.sh        all three
#
# scripts/figures.sh prints them beside the shutdown and HTTP figures.
set -euo pipefail
cd "$(dirname "$0")/.."
go=${GO:-go}

load() { $go test -run='^$' -bench='InboundSenders|InboundBesideHangingReceiver' -benchtime=3000x ./emulator/; }
heap() { $go test -run='^$' -bench=HeapPerConversation -benchtime=1x ./emulator/; }
soak() { FLEXEMU_SOAK_MESSAGES=${FLEXEMU_SOAK_MESSAGES:-100000} $go test -count=1 -run='^TestSoakMemoryIsBounded$' -v ./emulator/; }

case "${1:-all}" in
load | heap | soak) "$1" ;;
all) heap && load && soak ;;
*)
	echo "usage: scripts/bench-load.sh [load|heap|soak|all]" >&2
	exit 2
	;;
esac

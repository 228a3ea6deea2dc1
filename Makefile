# flexemu — the two commands a new user needs are `make up` and `make test`.
GO ?= go
MSG ?= hello

.PHONY: up send test vet unit bench bench-snapshot bench-load bench-http bench-http-prism figures soak heap build fuzz node-deps \
	test-deps build-static reproducible docker steps-reference

up: ## run the emulator on 127.0.0.1:7070 with the embedded default fixture
	$(GO) run ./cmd/emulator up

send: ## send a customer message to the running emulator: make send MSG="I need sales"
	$(GO) run ./cmd/send "$(MSG)"

test: vet ## the whole suite: vet, unit and HTTP tests, Godog features, all under -race
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

build: ## build both binaries into bin/
	$(GO) build -o bin/ ./cmd/...

bench: ## benchmarks (inbound → reservation in-process and over HTTP, routing, expressions)
	$(GO) test -run='^$$' -bench=. -benchmem ./...

bench-load: ## inbound figures side by side: throughput and p50/p99 at 1/16/64 senders, latency beside a hanging receiver
	GO=$(GO) scripts/bench-load.sh load

soak: ## 100k inbound messages: the timeline and logs rotate, the heap stays under the documented bound
	GO=$(GO) FLEXEMU_SOAK_MESSAGES=100000 scripts/bench-load.sh soak

bench-snapshot: ## state snapshots of 300 and 1,000 routed conversations: save and restore time, size per conversation
	$(GO) test -run='^$$' -bench=BenchmarkSnapshot -benchtime=3x ./emulator/

heap: ## retained heap per inbound conversation (FLEXEMU_HEAPPROFILE=heap.prof writes a pprof profile)
	GO=$(GO) scripts/bench-load.sh heap

bench-http: ## GET list load over HTTP: flexemu in-process, 8 keep-alive connections, 10 s; prints req/s, p50/p99, non-2xx
	$(GO) run ./scripts/benchhttp $(BENCH_HTTP_FLAGS)

bench-http-prism: ## the same load against Stoplight Prism mocking Twilio's spec (npx), then flexemu, and the ratio
	scripts/bench-http-prism.sh $(TWILIO_OAI_SPEC)

figures: ## every hardening figure side by side in one run (heap, inbound load, shutdown, soak, GET lists vs Prism)
	scripts/figures.sh

fuzz: ## run each fuzz target for a while
	$(GO) test -run='^$$' -fuzz=FuzzServer -fuzztime=60s ./emulator/
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=60s ./emulator/taskrouter/expr/
	$(GO) test -run='^$$' -fuzz=FuzzRender -fuzztime=60s ./emulator/studio/liquid/

node-deps: ## npm dependencies of the twilio-node round trip (examples/node) and the agent SDKs (examples/agentsdk); make test skips them without
	SKIP_BROWSER=1 scripts/install-test-deps.sh

test-deps: ## everything the client-driving tests use: node-deps plus chromium for the console's browser test (best effort)
	scripts/install-test-deps.sh

build-static: ## the Docker image's static binaries (no cgo, -trimpath, no VCS stamp) into bin/static/, with their sha256
	GO=$(GO) scripts/build-static.sh

reproducible: ## build-static twice (the second from an empty build cache) and check the bytes are identical
	GO=$(GO) scripts/build-static.sh --check

docker: ## the container image: docker run --rm -p 7070:7070 flexemu
	docker build -t flexemu .

steps-reference: ## regenerate docs/steps.md from the step definitions
	scripts/gen-steps-reference.sh

# flexemu — the two commands a new user needs are `make up` and `make test`.
GO ?= go
MSG ?= hello

.PHONY: up send test vet unit bench build fuzz node-deps

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

fuzz: ## run each fuzz target for a while
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=60s ./emulator/taskrouter/expr/
	$(GO) test -run='^$$' -fuzz=FuzzRender -fuzztime=60s ./emulator/studio/liquid/

node-deps: ## npm dependencies of the twilio-node round trip (examples/node); make test skips it without them
	cd examples/node && npm ci --no-audit --no-fund

package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/flexemu/flexemu/emulator"
)

// BenchmarkGETList is the server's share of one `make bench-http` request,
// without sockets: Host check, Basic auth, routing, the handler under the
// account lock, JSON encoding and the timeline entry.
//
//	go test -run '^$' -bench GETList -benchmem ./scripts/benchhttp
func BenchmarkGETList(b *testing.B) {
	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	defer emu.Close()
	h := emu.Handler()
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:7070/taskrouter/v1/Workspaces", nil)
	req.SetBasicAuth(emulator.DefaultAccountSID, emulator.DefaultAuthToken)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

package remote

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/controlapi"
)

// A client scoped to an account sends account routes under the account's
// prefix and the emulator's own routes (health, accounts) where they are.
func TestForAccountRoutes(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.Path)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	ctx := context.Background()
	const sid = "AC000000000000000000000000000000b1"
	base := New(srv.URL)
	c := base.ForAccount(sid)
	_, _ = c.Info(ctx)
	_ = c.Advance(ctx, time.Second)
	_ = c.Health(ctx)
	_, _ = c.CreateAccount(ctx, controlapi.AccountParams{})
	_ = c.DeleteAccount(ctx, sid)
	_, _ = base.Info(ctx)
	want := []string{
		"GET /emulator/v1/accounts/" + sid + "/info",
		"POST /emulator/v1/accounts/" + sid + "/clock/advance",
		"GET /emulator/v1/health",
		"POST /emulator/v1/accounts",
		"DELETE /emulator/v1/accounts/" + sid,
		"GET /emulator/v1/info",
	}
	if len(got) != len(want) {
		t.Fatalf("requests = %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d = %q, want %q", i, got[i], want[i])
		}
	}
	if base.Account != "" {
		t.Error("ForAccount changed the client it was called on")
	}
}

package emulator

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/twilio"
	"github.com/flexemu/flexemu/fixtures"
)

func mustCompile(t *testing.T, spec FaultSpec) *fault {
	t.Helper()
	f, err := compileFault(spec)
	if err != nil {
		t.Fatalf("compileFault(%+v): %v", spec, err)
	}
	return f
}

func TestRouteFaultMatching(t *testing.T) {
	type call struct {
		product, method, path string
		want                  bool
	}
	cases := []struct {
		name  string
		spec  FaultSpec
		calls []call
	}{
		{"one segment per star", FaultSpec{Method: "post", Path: "/v1/Workspaces/*/Tasks", Status: 429}, []call{
			{"taskrouter", "POST", "/v1/Workspaces/WS1/Tasks", true},
			{"taskrouter", "POST", "/v1/Workspaces/WS1/Tasks/", true},
			{"taskrouter", "GET", "/v1/Workspaces/WS1/Tasks", false},
			{"taskrouter", "POST", "/v1/Workspaces/WS1/Tasks/WT1", false},
			{"taskrouter", "POST", "/v1/Workspaces/Tasks", false},
			{"flex-api", "POST", "/v1/Workspaces/WS1/Tasks", true},
		}},
		{"host names the product", FaultSpec{Path: "https://taskrouter.twilio.com/v1/Workspaces/*/Tasks", Status: 500}, []call{
			{"taskrouter", "GET", "/v1/Workspaces/WS1/Tasks", true},
			{"flex-api", "GET", "/v1/Workspaces/WS1/Tasks", false},
		}},
		{"emulator prefix names the product", FaultSpec{Path: "/conversations/v1/Conversations/*", Status: 404}, []call{
			{"conversations", "DELETE", "/v1/Conversations/CH1", true},
			{"taskrouter", "DELETE", "/v1/Conversations/CH1", false},
		}},
		{"a final ** takes the rest", FaultSpec{Product: "flex-api", Method: "*", Path: "/v1/**", Delay: "1ms"}, []call{
			{"flex-api", "GET", "/v1", true},
			{"flex-api", "POST", "/v1/Interactions", true},
			{"flex-api", "GET", "/v1/Interactions/KD1/Channels/UO1", true},
			{"flex-api", "GET", "/v2/Interactions", false},
		}},
		{"literal segments are exact", FaultSpec{Path: "/v1/Workspaces/WS1", Status: 503}, []call{
			{"taskrouter", "GET", "/v1/Workspaces/WS1", true},
			{"taskrouter", "GET", "/v1/Workspaces/WS2", false},
			{"taskrouter", "GET", "/v1/Workspaces/WS1/Workers", false},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := mustCompile(t, tc.spec)
			for _, c := range tc.calls {
				if got := f.matchesRoute(c.product, c.method, c.path); got != c.want {
					t.Errorf("%s %s %s: match = %v, want %v", c.product, c.method, c.path, got, c.want)
				}
				if f.matchesURL("http://x" + c.path) {
					t.Errorf("a route fault matched a webhook URL")
				}
			}
		})
	}
}

func TestWebhookFaultMatching(t *testing.T) {
	cases := []struct {
		pattern, url string
		want         bool
	}{
		{"http://localhost:3000/hook", "http://localhost:3000/hook", true},
		{"http://localhost:3000/hook", "http://localhost:3000/hook?a=1", true},
		{"http://localhost:3000/hook", "http://localhost:3000/hook/more", false},
		{"http://localhost:3000/*", "http://localhost:3000/a/b", true},
		{"http://localhost:3000/*", "http://localhost:4000/a", false},
		{"http://*/onMessageAdded", "http://127.0.0.1:5555/onMessageAdded", true},
		{"http://*/onMessageAdded", "http://127.0.0.1:5555/onMessageAdd", false},
		{"https://example.com/*/x*", "https://example.com/a/b/xyz", true},
	}
	for _, tc := range cases {
		f := mustCompile(t, FaultSpec{URL: tc.pattern, Mode: "timeout"})
		if got := f.matchesURL(tc.url); got != tc.want {
			t.Errorf("%q against %q: %v, want %v", tc.pattern, tc.url, got, tc.want)
		}
		if f.matchesRoute("taskrouter", "POST", "/hook") {
			t.Errorf("a webhook fault matched a route")
		}
	}
}

func TestFaultSpecValidation(t *testing.T) {
	cases := []struct {
		name string
		spec FaultSpec
		want string // in the message; "" means valid
	}{
		{"code implies status", FaultSpec{Path: "/v1/x", Code: 20429}, ""},
		{"status implies code", FaultSpec{Path: "/v1/x", Status: 503}, ""},
		{"delay only", FaultSpec{Path: "/v1/x", Delay: "PT2S"}, ""},
		{"webhook fail defaults to 500", FaultSpec{URL: "http://h/*", Mode: "fail"}, ""},
		{"webhook slow", FaultSpec{URL: "http://h/*", Mode: "SLOW", Delay: "3s", Times: 2}, ""},
		{"nothing", FaultSpec{}, "needs a path"},
		{"both", FaultSpec{Path: "/v1/x", URL: "http://h", Status: 500}, "not both"},
		{"no effect", FaultSpec{Path: "/v1/x"}, "needs a status"},
		{"code outside 20xxx needs a status", FaultSpec{Path: "/v1/x", Code: 45000}, "status"},
		{"status not an error", FaultSpec{Path: "/v1/x", Status: 200}, "400-599"},
		{"negative times", FaultSpec{Path: "/v1/x", Status: 500, Times: -1}, "times"},
		{"bad delay", FaultSpec{Path: "/v1/x", Delay: "soon"}, "delay"},
		{"delay too long", FaultSpec{Path: "/v1/x", Delay: "2m"}, "between"},
		{"relative path", FaultSpec{Path: "v1/x", Status: 500}, "start with /"},
		{"star inside a segment", FaultSpec{Path: "/v1/Work*", Status: 500}, "whole segment"},
		{"** not last", FaultSpec{Path: "/v1/**/Tasks", Status: 500}, "last segment"},
		{"unknown host", FaultSpec{Path: "https://api.twilio.com/2010-04-01/Calls", Status: 500}, "not the host"},
		{"unknown product", FaultSpec{Product: "voice", Path: "/v1/x", Status: 500}, "product"},
		{"product disagrees with path", FaultSpec{Product: "flex-api", Path: "/taskrouter/v1/x", Status: 500}, "taskrouter"},
		{"bad method", FaultSpec{Path: "/v1/x", Method: "FETCH", Status: 500}, "method"},
		{"mode on a route", FaultSpec{Path: "/v1/x", Mode: "fail"}, "webhook faults"},
		{"webhook without mode", FaultSpec{URL: "http://h/*"}, "mode"},
		{"webhook unknown mode", FaultSpec{URL: "http://h/*", Mode: "drop"}, "fail, timeout or slow"},
		{"webhook not a URL", FaultSpec{URL: "localhost:3000", Mode: "timeout"}, "http(s) URL"},
		{"webhook code", FaultSpec{URL: "http://h", Mode: "fail", Code: 20429}, "route faults"},
		{"webhook fail with 2xx", FaultSpec{URL: "http://h", Mode: "fail", Status: 204}, "failing"},
		{"webhook slow without delay", FaultSpec{URL: "http://h", Mode: "slow"}, "delay"},
		{"webhook timeout with status", FaultSpec{URL: "http://h", Mode: "timeout", Status: 500}, "no status"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := compileFault(tc.spec)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("valid spec refused: %v", err)
				}
				return
			}
			te, ok := err.(*twilio.Error)
			if !ok || te.Status != 400 || te.Code != twilio.CodeInvalidParameter {
				t.Fatalf("error = %v, want Twilio's 400 with code 20001", err)
			}
			if !strings.Contains(te.Message, tc.want) {
				t.Errorf("message %q lacks %q", te.Message, tc.want)
			}
		})
	}
}

// TestFaultTimesHoldUnderConcurrency sends many calls at once at a fault
// for the next N: exactly N strike, and the first declared fault wins.
func TestFaultTimesHoldUnderConcurrency(t *testing.T) {
	var fs faultSet
	for _, spec := range []FaultSpec{{Path: "/v1/x", Status: 429, Times: 5}, {Path: "/v1/x", Status: 500, Times: 3}} {
		if _, err := fs.add(mustCompile(t, spec)); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var by429, by500, none atomic.Int32
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f, _, hit := fs.claim(func(f *fault) bool { return f.matchesRoute("taskrouter", "GET", "/v1/x") })
			switch {
			case !hit:
				none.Add(1)
			case f.Status == 429:
				by429.Add(1)
			default:
				by500.Add(1)
			}
		}()
	}
	wg.Wait()
	if by429.Load() != 5 || by500.Load() != 3 || none.Load() != 56 {
		t.Errorf("429s %d, 500s %d, untouched %d; want 5, 3, 56", by429.Load(), by500.Load(), none.Load())
	}
	for _, f := range fs.list() {
		if f.Remaining == nil || *f.Remaining != 0 || f.Hits != f.Times {
			t.Errorf("fault %+v: want spent with hits = times", f)
		}
	}
}

// TestRouteFaultDelayEndsWithTheRequest cancels a request during a long
// injected delay: the handler returns at once and never reaches the product.
func TestRouteFaultDelayEndsWithTheRequest(t *testing.T) {
	a, err := newTestAccount()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddFault(FaultSpec{Path: "/v1/x", Delay: "50s"}); err != nil {
		t.Fatal(err)
	}
	var reached atomic.Bool
	next := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached.Store(true) })
	ctx, cancel := context.WithCancel(context.Background())
	r := httptest.NewRequest("GET", "/v1/x", nil)
	r = r.WithContext(&apiContext{Context: ctx, call: apiCall{acct: a, cause: a.causes.New()}})
	w := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { serveFaulted(next, w, r, "taskrouter"); close(done) }()
	time.Sleep(20 * time.Millisecond)
	// The account is not locked during the delay.
	if err := a.Do(func(*Engines) error { return nil }); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("the injected delay did not end with the request's context")
	}
	if reached.Load() {
		t.Error("a cancelled delayed call reached the product handler")
	}
	entries := a.timeline.Since(0)
	if len(entries) == 0 || entries[len(entries)-1].Type != FaultInjected || entries[len(entries)-1].Refs["delay"] != "50s" {
		t.Errorf("timeline lacks the injected delay: %+v", entries)
	}
}

func TestResetKeepsOnlyTheFixturesFaults(t *testing.T) {
	a, err := newTestAccount()
	if err != nil {
		t.Fatal(err)
	}
	a.fixture.Faults = append(a.fixture.Faults, fixtureFault("/v1/Workspaces/*/Tasks", 429, 1))
	if err := a.Reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.AddFault(FaultSpec{URL: "http://h/*", Mode: "timeout"}); err != nil {
		t.Fatal(err)
	}
	_, _, _ = a.faults.claim(func(f *fault) bool { return f.Kind == FaultRoute })
	if err := a.Reset(); err != nil {
		t.Fatal(err)
	}
	got := a.Faults()
	if len(got) != 1 || !got[0].Fixture || got[0].Hits != 0 || got[0].Status != 429 {
		t.Errorf("after Reset: %+v, want the fixture's fault alone, unspent", got)
	}
}

// newTestAccount is an account on the default fixture (a fresh copy) with a
// manual clock.
func newTestAccount() (*Account, error) {
	fx, err := fixture.Parse("default.yaml", fixtures.Default)
	if err != nil {
		return nil, err
	}
	clk := clock.New(clock.Manual, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	return newAccount(DefaultAccountSID, DefaultAuthToken, clk, fx, slog.Default())
}

func fixtureFault(path string, status, times int) fixture.Fault {
	return fixture.Fault{Path: path, Status: status, Times: times}
}

// TestFixtureFaults declares faults in a fixture's faults section: they are
// on the account from the start, and a bad one stops the fixture with its
// file, line and field.
func TestFixtureFaults(t *testing.T) {
	base := string(fixtures.Default) + "\nfaults:\n"
	cases := []struct {
		name, yaml, wantErr string
	}{
		{"valid", base + "  - {method: POST, path: /taskrouter/v1/Workspaces/*/Tasks, code: 20429, times: 1}\n" +
			"  - {url: \"http://localhost:3000/*\", mode: slow, delay: 2s}\n", ""},
		{"bad mode", base + "  - {url: \"http://localhost:3000/*\", mode: drop}\n", `faults[0]: Invalid mode: "drop" is not fail, timeout or slow`},
		{"unknown key", base + "  - {path: /v1/x, staus: 500}\n", "faults[0].staus: unknown field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx, err := fixture.Parse("x.yaml", []byte(tc.yaml))
			if err == nil {
				clk := clock.New(clock.Manual, time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
				var a *Account
				a, err = newAccount(DefaultAccountSID, DefaultAuthToken, clk, fx, slog.Default())
				if err == nil {
					got := a.Faults()
					if len(got) != 2 || !got[0].Fixture || got[0].Product != "taskrouter" || got[0].Status != 429 || got[1].Kind != FaultWebhook {
						t.Errorf("fixture faults = %+v", got)
					}
				}
			}
			lines := strings.Count(string(fixtures.Default), "\n") + 3
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("valid fixture refused: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "x.yaml:"+strconv.Itoa(lines))):
				t.Fatalf("error = %v, want x.yaml:%d and %q", err, lines, tc.wantErr)
			}
		})
	}
}

package emulator_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// What the per-request savings of the API path must keep: every
// authenticated call routed by prefix or by Twilio's Host header leaves one
// api entry with its status and a cause of its own; unknown paths and
// methods are Twilio's 404 JSON; paths ServeMux cleans are redirected only
// when the cleaned path is a route; a refused call leaves nothing.
func TestAPIRoutingAndTimelineEntries(t *testing.T) {
	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"))
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	h := emu.Handler()
	tl := emu.Account().Timeline()
	call := func(method, target, host string, auth bool) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		r.Host = "127.0.0.1:7070"
		if host != "" {
			r.Host = host
		}
		if auth {
			r.SetBasicAuth(emulator.DefaultAccountSID, emulator.DefaultAuthToken)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	cases := []struct {
		name, method, target, host string
		auth                       bool
		status                     int
		entry                      string // Summary of the api entry; "" for none
	}{
		{"list by prefix", "GET", "/taskrouter/v1/Workspaces", "", true, 200, "GET /v1/Workspaces → OK"},
		{"list by Twilio host", "GET", "/v1/Workspaces?PageSize=1", "taskrouter.twilio.com", true, 200, "GET /v1/Workspaces → OK"},
		{"unknown path", "GET", "/taskrouter/v1/Nope", "", true, 404, "GET /v1/Nope → Not Found"},
		{"unknown method", "DELETE", "/taskrouter/v1/Workspaces", "", true, 404, "DELETE /v1/Workspaces → Not Found"},
		{"unclean path to a route", "GET", "/taskrouter/v1/Nope/../Workspaces", "", true, 307, "GET /v1/Nope/../Workspaces → Temporary Redirect"},
		{"unclean path to nothing", "GET", "/taskrouter/v1/Workspaces/../Nope", "", true, 404, "GET /v1/Workspaces/../Nope → Not Found"},
		{"unclean path, wrong method", "PUT", "/flex-api/v1//Interactions", "", true, 404, "PUT /v1//Interactions → Not Found"},
		{"no credentials", "GET", "/taskrouter/v1/Workspaces", "", false, 401, ""},
	}
	seen := map[any]bool{}
	for _, c := range cases {
		last := tl.Last()
		w := call(c.method, c.target, c.host, c.auth)
		if w.Code != c.status {
			t.Fatalf("%s: status %d, want %d: %s", c.name, w.Code, c.status, w.Body)
		}
		if c.status == 404 || c.status == 401 {
			var e struct {
				Code   int `json:"code"`
				Status int `json:"status"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != c.status {
				t.Fatalf("%s: body %s is not Twilio's error JSON", c.name, w.Body)
			}
		}
		var api []timeline.Entry
		for _, e := range tl.Since(last) {
			if e.Kind == timeline.KindAPI {
				api = append(api, e)
			}
		}
		if c.entry == "" {
			if len(api) != 0 {
				t.Fatalf("%s: refused call left %+v", c.name, api)
			}
			continue
		}
		if len(api) != 1 {
			t.Fatalf("%s: %d api entries, want 1: %+v", c.name, len(api), api)
		}
		e := api[0]
		wantType, _, _ := strings.Cut(c.entry, " → ")
		if e.Summary != c.entry || e.Type != wantType || e.Product != "taskrouter" && e.Product != "flex-api" ||
			len(e.Refs) != 1 || e.Refs["status"] != strconv.Itoa(c.status) || e.Cause == 0 || seen[e.Cause] {
			t.Fatalf("%s: entry %+v", c.name, e)
		}
		seen[e.Cause] = true
	}

	// The workspace links are the object a map would render: keys sorted.
	w := call("GET", "/taskrouter/v1/Workspaces", "", true)
	if w.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
		t.Fatalf("Content-Length %q for %d bytes", w.Header().Get("Content-Length"), w.Body.Len())
	}
	var page struct {
		Workspaces []struct {
			Links json.RawMessage `json:"links"`
		} `json:"workspaces"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || len(page.Workspaces) != 1 {
		t.Fatalf("%v: %s", err, w.Body)
	}
	var links map[string]string
	_ = json.Unmarshal(page.Workspaces[0].Links, &links)
	again, _ := json.Marshal(links)
	if len(links) != 10 || !bytes.Equal(again, page.Workspaces[0].Links) {
		t.Fatalf("links %s, as a map %s", page.Workspaces[0].Links, again)
	}

	// Over a real connection too.
	if err := emu.Start(); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", emu.URL()+"/taskrouter/v1/Workspaces", nil)
	req.SetBasicAuth(emulator.DefaultAccountSID, emulator.DefaultAuthToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0 {
		t.Fatalf("%d, length %d, transfer encoding %v, %d bytes", resp.StatusCode, resp.ContentLength, resp.TransferEncoding, len(body))
	}
}

package content

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/env"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// serve mounts the Content routes over eng, as the emulator does.
func serve(t *testing.T, eng *Engine) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	Mount(mux, func(_ *twilio.Request, fn func(*Engine) error) error { return fn(eng) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, method, path, body string) string {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Host = Product.Host
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, b)
	}
	return string(b)
}

// reads is every REST read of the engine: the list and each fetch.
func reads(t *testing.T, srv *httptest.Server, sids []string) []string {
	out := []string{call(t, srv, "GET", "/v1/Content?PageSize=2", ""), call(t, srv, "GET", "/v1/Content", "")}
	for _, s := range sids {
		out = append(out, call(t, srv, "GET", "/v1/Content/"+s, ""))
	}
	return out
}

func TestSnapshotRoundTrip(t *testing.T) {
	e, clk := env.ForTest()
	orig := New(e)
	srv := serve(t, orig)
	var sids []string
	for i, body := range []string{
		`{"friendly_name":"a","language":"en","variables":{"1":"Ann","2":"x"},"types":{"twilio/quick-reply":{"body":"Hi {{1}}","actions":[{"title":"Yes"}]},"twilio/text":{"body":"Hi"}}}`,
		`{"friendly_name":"b","language":"es","types":{"twilio/media":{"media":["https://x/y.png"]}}}`,
		`{"friendly_name":"c","language":"fr","types":{"twilio/text":{"body":"Salut"}}}`,
		`{"friendly_name":"d","language":"de","types":{"twilio/text":{"body":"Hallo"}}}`,
	} {
		clk.Advance(time.Duration(i+1) * time.Second)
		var v struct{ SID string }
		_ = json.Unmarshal([]byte(call(t, srv, "POST", "/v1/Content", body)), &v)
		sids = append(sids, v.SID)
	}
	clk.Advance(time.Minute)
	call(t, srv, "PUT", "/v1/Content/"+sids[0], `{"friendly_name":"a2","language":"en","types":{"twilio/text":{"body":"Updated"},"twilio/card":{"title":"t"}}}`)
	call(t, srv, "DELETE", "/v1/Content/"+sids[2], "")
	sids = append(sids[:2], sids[3])

	snap, err := orig.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	e2, clk2 := env.ForTest()
	clk2.Advance(clk.Now().Sub(clk2.Now()))
	restored := New(e2)
	before := e2.Timeline.Last()
	if err := restored.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if e2.Timeline.Last() != before {
		t.Error("Restore recorded timeline entries")
	}
	again, err := restored.Snapshot()
	if err != nil || !bytes.Equal(again, snap) {
		t.Fatalf("snapshot of the restored engine differs (%v):\n%s\n%s", err, snap, again)
	}
	srv2 := serve(t, restored)
	want, got := reads(t, srv, sids), reads(t, srv2, sids)
	for i := range want {
		if want[i] != got[i] {
			t.Errorf("read %d differs:\n%s\n%s", i, want[i], got[i])
		}
	}
	if b := restored.templates[sids[0]].Body(); b != "Updated" {
		t.Errorf("restored body = %q (parsed types not rebuilt)", b)
	}

	// The restored engine keeps working: new templates list first, old ones stay.
	var v struct{ SID string }
	_ = json.Unmarshal([]byte(call(t, srv2, "POST", "/v1/Content", `{"language":"en","types":{"twilio/text":{"body":"new"}}}`)), &v)
	l := restored.List()
	if len(l) != 4 || l[0].SID != v.SID || l[3].SID != sids[0] {
		t.Fatalf("list after restore+create = %v", l)
	}
	if _, err := restored.Create(CreateParams{SID: sids[1], Language: "en", Types: json.RawMessage(`{"twilio/text":{"body":"x"}}`)}); err == nil {
		t.Error("a restored SID was accepted again")
	}
}

func TestSnapshotEmpty(t *testing.T) {
	e, _ := env.ForTest()
	snap, err := New(e).Snapshot()
	if err != nil || string(snap) != `{"templates":[]}` {
		t.Fatalf("empty snapshot = %s, %v", snap, err)
	}
	r := New(e)
	if err := r.Restore(snap); err != nil || len(r.List()) != 0 {
		t.Fatalf("restore empty: %v", err)
	}
}

func TestRestoreRejectsBadData(t *testing.T) {
	const hx = "HX0123456789abcdef0123456789abcdef"
	ok := `{"sid":"` + hx + `","friendly_name":"a","language":"en","variables":{},"types":{"twilio/text":{"body":"x"}},"date_created":"2026-01-05T09:00:00Z","date_updated":"2026-01-05T09:00:00Z"}`
	for name, data := range map[string]string{
		"not json":      `{"templates":[`,
		"trailing":      `{"templates":[]} {}`,
		"wrong type":    `{"templates":{}}`,
		"unknown field": `{"templates":[],"extra":1}`,
		"bad sid":       `{"templates":[{"sid":"HX1","language":"en","types":{"twilio/text":{"body":"x"}}}]}`,
		"duplicate":     `{"templates":[` + ok + `,` + ok + `]}`,
		"no language":   `{"templates":[{"sid":"` + hx + `","types":{"twilio/text":{"body":"x"}}}]}`,
		"bad types":     `{"templates":[{"sid":"` + hx + `","language":"en","types":{"twilio/sticker":{}}}]}`,
		"bad date":      `{"templates":[{"sid":"` + hx + `","language":"en","types":{"twilio/text":{"body":"x"}},"date_created":"yesterday"}]}`,
		"good then bad": `{"templates":[` + ok + `,{"sid":"HX2"}]}`,
	} {
		e, _ := env.ForTest()
		c := New(e)
		if err := c.Restore(json.RawMessage(data)); err == nil {
			t.Errorf("%s: restored", name)
		}
		if len(c.templates) != 0 || len(c.order) != 0 {
			t.Errorf("%s: engine not left empty", name)
		}
	}
}

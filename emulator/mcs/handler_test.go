package mcs

import (
	"bytes"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

const (
	service = "IS00000000000000000000000000000001"
	other   = "IS00000000000000000000000000000002"
)

type fixture struct {
	srv *httptest.Server
	mu  sync.Mutex
	now time.Time
}

func newFixture(t *testing.T, store *Store) *fixture {
	f := &fixture{now: time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)}
	h := &Handler{Store: store, Prefix: "/mcs",
		Auth: func(r *http.Request) (Caller, *twilio.Error) {
			switch r.Header.Get("X-Twilio-Token") {
			case "alice":
				return Caller{AccountSID: "AC1", Identity: "alice", ServiceSID: service}, nil
			case "any":
				return Caller{AccountSID: "AC1", Identity: "bob"}, nil
			case "other-account":
				return Caller{AccountSID: "AC2", Identity: "eve"}, nil
			}
			return Caller{}, twilio.NewError(401, 20101, "Invalid Access Token")
		},
		Now: func(string) time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.now },
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) do(t *testing.T, method, path, token, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, strings.TrimSuffix(f.srv.URL, "/")+path, bytes.NewReader(body))
	if token != "" {
		req.Header.Set("X-Twilio-Token", token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Origin", "http://localhost:3000")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func (f *fixture) get(t *testing.T, rawURL string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

func decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

var mediaPath = "/mcs/v1/Services/" + service + "/Media"

func TestUploadFetchAndContent(t *testing.T) {
	store := NewStore(0, 0)
	f := newFixture(t, store)
	png := []byte("\x89PNG\r\n\x1a\nfake image")
	code, hdr, b := f.do(t, "POST", mediaPath+"?Category=media&Filename=cat%20photo.png", "alice", "image/png", png)
	if code != 201 {
		t.Fatalf("upload: %d %s", code, b)
	}
	if hdr.Get("Access-Control-Allow-Origin") != "http://localhost:3000" {
		t.Errorf("CORS origin %q", hdr.Get("Access-Control-Allow-Origin"))
	}
	rec := decode(t, b)
	sid, _ := rec["sid"].(string)
	if !twilio.IsSID(sid, "ME") || rec["content_type"] != "image/png" || rec["filename"] != "cat photo.png" ||
		rec["size"] != float64(len(png)) || rec["category"] != "media" || rec["author"] != "alice" ||
		rec["service_sid"] != service || rec["date_created"] != "2026-01-05T09:00:00.000Z" || rec["message_sid"] != nil {
		t.Fatalf("record %v", rec)
	}
	links := rec["links"].(map[string]any)
	temporary := links["content_direct_temporary"].(string)
	if !strings.HasPrefix(temporary, f.srv.URL+mediaPath+"/"+sid+"/Content?") {
		t.Fatalf("content_direct_temporary %q", temporary)
	}

	// GET the record again (what getContentTemporaryUrl does).
	code, _, b = f.do(t, "GET", mediaPath+"/"+sid, "alice", "", nil)
	if code != 200 || decode(t, b)["sid"] != sid {
		t.Fatalf("get: %d %s", code, b)
	}
	// The temporary URL needs no credentials: a browser's <img src>.
	code, hdr, b = f.get(t, temporary)
	if code != 200 || !bytes.Equal(b, png) || hdr.Get("Content-Type") != "image/png" {
		t.Fatalf("content: %d %q %s", code, hdr.Get("Content-Type"), b)
	}
	// A tampered signature is refused; credentials work without one.
	if code, _, _ = f.get(t, strings.Replace(temporary, "Signature=", "Signature=0", 1)); code != 403 {
		t.Errorf("tampered URL: %d", code)
	}
	if code, _, b = f.do(t, "GET", mediaPath+"/"+sid+"/Content", "alice", "", nil); code != 200 || !bytes.Equal(b, png) {
		t.Errorf("content with a token: %d", code)
	}
	if code, _, _ = f.do(t, "GET", mediaPath+"/"+sid+"/Content", "", "", nil); code != 401 {
		t.Errorf("content without credentials: %d", code)
	}
	// The URL expires on the clock.
	f.mu.Lock()
	f.now = f.now.Add(DefaultURLTTL + time.Second)
	f.mu.Unlock()
	if code, _, _ = f.get(t, temporary); code != 403 {
		t.Errorf("expired URL: %d", code)
	}

	// Metadata for the Conversations projection.
	m, ok := store.Get("AC1", sid)
	if !ok || m.Filename != "cat photo.png" || m.Size != len(png) {
		t.Errorf("Get %+v %v", m, ok)
	}
	store.SetMessage("AC1", sid, "CH1", "IM1")
	_, _, b = f.do(t, "GET", mediaPath+"/"+sid, "alice", "", nil)
	if r := decode(t, b); r["message_sid"] != "IM1" || r["channel_sid"] != "CH1" {
		t.Errorf("after SetMessage %v", r)
	}
}

func TestAccessIsScoped(t *testing.T) {
	f := newFixture(t, NewStore(0, 0))
	_, _, b := f.do(t, "POST", mediaPath, "any", "text/plain", []byte("hi"))
	sid := decode(t, b)["sid"].(string)
	for name, c := range map[string]struct {
		method, path, token string
		want                int
	}{
		"no token":             {"GET", mediaPath + "/" + sid, "", 401},
		"bad token":            {"GET", mediaPath + "/" + sid, "forged", 401},
		"other account":        {"GET", mediaPath + "/" + sid, "other-account", 404},
		"other service path":   {"GET", "/mcs/v1/Services/" + other + "/Media/" + sid, "any", 404},
		"grant for another IS": {"POST", "/mcs/v1/Services/" + other + "/Media", "alice", 403},
		"unknown media":        {"GET", mediaPath + "/ME00000000000000000000000000000000", "any", 404},
		"bad service":          {"GET", "/mcs/v1/Services/nope/Media/" + sid, "any", 404},
		"wrong method":         {"DELETE", mediaPath + "/" + sid, "any", 405},
		"unknown path":         {"GET", mediaPath + "/" + sid + "/Other", "any", 404},
	} {
		if code, _, b := f.do(t, c.method, c.path, c.token, "", nil); code != c.want {
			t.Errorf("%s: %d %s, want %d", name, code, b, c.want)
		}
	}
}

func TestMediaSet(t *testing.T) {
	f := newFixture(t, NewStore(0, 0))
	_, _, b := f.do(t, "POST", mediaPath+"?Filename=a.txt", "alice", "text/plain", []byte("a"))
	sid := decode(t, b)["sid"].(string)
	cmd := `{"command":"get","list":[{"media_sid":"` + sid + `"},{"media_sid":"ME00000000000000000000000000000000"}]}`
	code, _, b := f.do(t, "POST", "/mcs/v1/Services/"+service+"/MediaSet", "alice", "application/json", []byte(cmd))
	if code != 200 {
		t.Fatalf("MediaSet: %d %s", code, b)
	}
	var out []map[string]any
	if err := json.Unmarshal(b, &out); err != nil || len(out) != 2 {
		t.Fatalf("MediaSet answer %s", b)
	}
	if out[0]["code"] != 200.0 || out[0]["media_record"].(map[string]any)["sid"] != sid {
		t.Errorf("first %v", out[0])
	}
	if out[1]["code"] != 404.0 {
		t.Errorf("second %v", out[1])
	}
	if code, _, _ := f.do(t, "POST", "/mcs/v1/Services/"+service+"/MediaSet", "alice", "application/json", []byte(`{"command":"delete","list":[]}`)); code != 400 {
		t.Errorf("unknown command: %d", code)
	}
	if code, _, _ := f.do(t, "POST", "/mcs/v1/Services/"+service+"/MediaSet", "alice", "application/json", []byte(`nope`)); code != 400 {
		t.Errorf("bad JSON: %d", code)
	}
}

func TestMultipartUpload(t *testing.T) {
	f := newFixture(t, NewStore(0, 0))
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	ph := textproto.MIMEHeader{}
	ph.Set("Content-Disposition", `form-data; name="file"; filename="doc.pdf"`)
	ph.Set("Content-Type", "application/pdf")
	pw, _ := mw.CreatePart(ph)
	_, _ = pw.Write([]byte("%PDF-1.4"))
	_ = mw.Close()
	code, _, b := f.do(t, "POST", mediaPath, "alice", mw.FormDataContentType(), buf.Bytes())
	if code != 201 {
		t.Fatalf("upload: %d %s", code, b)
	}
	if r := decode(t, b); r["filename"] != "doc.pdf" || r["content_type"] != "application/pdf" || r["size"] != 8.0 {
		t.Errorf("record %v", r)
	}
}

func TestBounds(t *testing.T) {
	store := NewStore(10, 25)
	f := newFixture(t, store)
	if code, _, b := f.do(t, "POST", mediaPath, "alice", "text/plain", []byte("0123456789A")); code != 413 {
		t.Errorf("11 bytes over a 10-byte bound: %d %s", code, b)
	}
	for i := 0; i < 2; i++ {
		if code, _, b := f.do(t, "POST", mediaPath, "alice", "text/plain", []byte("0123456789")); code != 201 {
			t.Fatalf("upload %d: %d %s", i, code, b)
		}
	}
	if code, _, b := f.do(t, "POST", mediaPath, "alice", "text/plain", []byte("0123456789")); code != 413 || !strings.Contains(string(b), "full") {
		t.Errorf("beyond the account bound: %d %s", code, b)
	}
	// Another account has its own room.
	if code, _, _ := f.do(t, "POST", mediaPath, "other-account", "text/plain", []byte("0123456789")); code != 201 {
		t.Errorf("other account: %d", code)
	}
	store.Forget("AC1")
	if n := store.Bytes("AC1"); n != 0 {
		t.Errorf("%d bytes after Forget", n)
	}
	if code, _, _ := f.do(t, "POST", mediaPath, "alice", "text/plain", []byte("0123456789")); code != 201 {
		t.Errorf("after Forget: %d", code)
	}
}

func TestCORSPreflight(t *testing.T) {
	f := newFixture(t, NewStore(0, 0))
	req, _ := http.NewRequest("OPTIONS", f.srv.URL+mediaPath, nil)
	req.Header.Set("Origin", "http://localhost:3000")
	req.Header.Set("Access-Control-Request-Method", "POST")
	req.Header.Set("Access-Control-Request-Headers", "x-twilio-token,content-type")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	h := resp.Header
	if resp.StatusCode != 204 || h.Get("Access-Control-Allow-Origin") != "http://localhost:3000" ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "x-twilio-token") {
		t.Errorf("preflight %d %v", resp.StatusCode, h)
	}
}

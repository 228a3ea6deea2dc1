package taskrouter

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// send is apiClient.call with request headers, returning the response's
// headers and decoded body.
func (c apiClient) send(method, path string, form url.Values, hdr map[string]string, wantStatus int) (http.Header, map[string]any) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.srv.URL+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != wantStatus {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, resp.StatusCode, raw, wantStatus)
	}
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			c.t.Fatalf("%s %s: bad JSON %s", method, path, raw)
		}
	}
	return resp.Header, m
}

// TestAPIETagIfMatch: Task, Worker and Reservation answers carry the
// version as ETag; a stale If-Match is a 412 (code 20412) that changes
// nothing; a matching one applies.
func TestAPIETagIfMatch(t *testing.T) {
	srv, e := apiServer(t)
	c := apiClient{t, srv}
	ws := c.call("POST", "/v1/Workspaces", url.Values{"FriendlyName": {"Support"}}, 201)["sid"].(string)
	base := "/v1/Workspaces/" + ws
	q := c.call("POST", base+"/TaskQueues", url.Values{"FriendlyName": {"Everyone"}}, 201)["sid"].(string)
	c.call("POST", base+"/Workflows", url.Values{"FriendlyName": {"Main"},
		"Configuration": {`{"task_routing":{"default_filter":{"queue":"` + q + `"}}}`}}, 201)
	avail := must(e.ActivityByName(ws, "Available"))(t).SID
	etag := func(h http.Header) string { return h.Get("ETag") }
	im := func(v string) map[string]string { return map[string]string{"If-Match": v} }
	want412 := func(m map[string]any) {
		t.Helper()
		if m["status"] != float64(412) || m["code"] != float64(CodePreconditionFailed) {
			t.Fatalf("412 body %v", m)
		}
	}

	// Worker: create 0, update with the right version 1, stale refused.
	h, w := c.send("POST", base+"/Workers", url.Values{"FriendlyName": {"alice"}}, nil, 201)
	wk := base + "/Workers/" + w["sid"].(string)
	if etag(h) != "0" {
		t.Fatalf("created worker ETag %q", etag(h))
	}
	h, _ = c.send("POST", wk, url.Values{"Attributes": {`{"a":1}`}}, im("0"), 200)
	if etag(h) != "1" {
		t.Fatalf("updated worker ETag %q", etag(h))
	}
	_, m := c.send("POST", wk, url.Values{"ActivitySid": {avail}}, im("0"), 412)
	want412(m)
	if h, m = c.send("GET", wk, nil, nil, 200); etag(h) != "1" || m["activity_name"] != "Offline" {
		t.Fatalf("after refused update: ETag %q activity %v", etag(h), m["activity_name"])
	}
	c.send("POST", wk, url.Values{"ActivitySid": {avail}}, im(`"1"`), 200) // quoted ETag echoed back

	// Task: created and reserved by alice at once (version 0).
	h, task := c.send("POST", base+"/Tasks", url.Values{"Attributes": {`{}`}}, nil, 201)
	tk := base + "/Tasks/" + task["sid"].(string)
	if etag(h) != "0" || task["assignment_status"] != "reserved" {
		t.Fatalf("created task ETag %q status %v", etag(h), task["assignment_status"])
	}
	_, m = c.send("POST", tk, url.Values{"Priority": {"7"}}, im("3"), 412)
	want412(m)
	if h, m = c.send("GET", tk, nil, nil, 200); etag(h) != "0" || m["priority"] != float64(0) {
		t.Fatalf("after refused task update: ETag %q priority %v", etag(h), m["priority"])
	}
	if h, _ = c.send("POST", tk, url.Values{"Priority": {"7"}}, im("0"), 200); etag(h) != "1" {
		t.Fatalf("updated task ETag %q", etag(h))
	}

	// Reservation, through both views.
	res := c.call("GET", tk+"/Reservations", nil, 200)["reservations"].([]any)[0].(map[string]any)
	rsid := res["sid"].(string)
	byTask, byWorker := tk+"/Reservations/"+rsid, wk+"/Reservations/"+rsid
	for _, p := range []string{byTask, byWorker} {
		if h, _ = c.send("GET", p, nil, nil, 200); etag(h) != "0" {
			t.Fatalf("GET %s ETag %q", p, etag(h))
		}
	}
	_, m = c.send("POST", byWorker, url.Values{"ReservationStatus": {"accepted"}}, im("1"), 412)
	want412(m)
	if _, m = c.send("GET", byTask, nil, nil, 200); m["reservation_status"] != "pending" {
		t.Fatalf("refused accept applied: %v", m["reservation_status"])
	}
	if h, m = c.send("POST", byWorker, url.Values{"ReservationStatus": {"accepted"}}, im("0"), 200); etag(h) != "1" || m["reservation_status"] != "accepted" {
		t.Fatalf("accept: ETag %q status %v", etag(h), m["reservation_status"])
	}
	_, m = c.send("POST", byTask, url.Values{"ReservationStatus": {"wrapping"}}, im("0"), 412)
	want412(m)
	if h, _ = c.send("POST", byTask, url.Values{"ReservationStatus": {"wrapping"}}, im("1"), 200); etag(h) != "2" {
		t.Fatalf("wrapping ETag %q", etag(h))
	}
	// A reservation of another task is a 404 whatever the If-Match.
	c.send("POST", base+"/Tasks/WT00000000000000000000000000000000/Reservations/"+rsid, url.Values{"ReservationStatus": {"completed"}}, im("9"), 404)

	// Deletes: stale refused (task and worker still there), matching applies.
	h, _ = c.send("GET", tk, nil, nil, 200)
	tv := etag(h)
	_, m = c.send("DELETE", tk, nil, im("99"), 412)
	want412(m)
	c.send("GET", tk, nil, nil, 200)
	c.send("DELETE", tk, nil, im(tv), 204)
	c.send("GET", tk, nil, nil, 404)
	h, _ = c.send("GET", wk, nil, nil, 200)
	wv := etag(h)
	_, m = c.send("DELETE", wk, nil, im("W/\"99\""), 412)
	want412(m)
	c.send("DELETE", wk, nil, im("*"), 204)
	if wv == "" {
		t.Fatal("worker without ETag")
	}
}

func TestCheckIfMatch(t *testing.T) {
	for _, c := range []struct {
		h  string
		ok bool
	}{{"", true}, {"3", true}, {` "3" `, true}, {`W/"3"`, true}, {"1, 3", true}, {"*", true},
		{"4", false}, {"03x", false}, {`"2"`, false}} {
		if err := CheckIfMatch(c.h, 3); (err == nil) != c.ok {
			t.Errorf("CheckIfMatch(%q, 3) = %v, want ok=%t", c.h, err, c.ok)
		}
	}
}

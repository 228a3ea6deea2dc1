package oaicheck

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const spec = `{
 "paths": {
  "/v1/Things/{Sid}": {"get": {"responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}}}},
   "delete": {"responses": {"204": {"description": "gone"}}}},
  "/v1/Things": {"get": {"parameters": [{"name": "Color", "in": "query"}], "responses": {"200": {"content": {"application/json": {"schema": {
    "type": "object", "properties": {
     "things": {"type": "array", "items": {"$ref": "#/components/schemas/thing"}},
     "meta": {"type": "object", "properties": {"key": {"type": "string", "nullable": true}, "page": {"type": "integer"}}}}}}}}}},
   "post": {"responses": {"202": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}},
     "201": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}}}}}
 },
 "components": {"schemas": {
  "thing": {"type": "object", "properties": {
   "sid": {"type": "string", "nullable": true, "pattern": "^TH[0-9a-fA-F]{32}$", "minLength": 34, "maxLength": 34},
   "count": {"type": "integer"},
   "ratio": {"type": "number", "nullable": true},
   "active": {"type": "boolean", "nullable": true},
   "status": {"$ref": "#/components/schemas/thing_enum_status"},
   "note": {"$ref": "#/components/schemas/thing_enum_status", "nullable": true},
   "attributes": {"type": "object", "nullable": true},
   "owner": {"type": "object", "nullable": true, "properties": {"name": {"type": "string"}}},
   "tags": {"type": "array", "nullable": true, "items": {"type": "string"}},
   "date_created": {"type": "string", "format": "date-time", "nullable": true},
   "url": {"type": "string", "format": "uri", "nullable": true},
   "links": {"type": "object", "format": "uri-map", "nullable": true},
   "context": {"nullable": true}}},
  "thing_enum_status": {"type": "string", "enum": ["open", "closed"]}
 }}
}`

const sid = "TH0123456789abcdef0123456789abcdef"

func good() map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(`{"sid": "`+sid+`", "count": 2, "ratio": 0.5, "active": null,
		"status": "open", "note": null, "attributes": {"anything": [1, "x"]}, "owner": {"name": "ana"}, "tags": ["a"],
		"date_created": "2026-01-05T09:00:00Z", "url": "https://example.twilio.com/v1/Things/`+sid+`",
		"links": {"parts": "https://example.twilio.com/v1/Things/`+sid+`/Parts"}, "context": [1, {"a": "b"}]}`), &m)
	return m
}

func load(t *testing.T) *Doc {
	t.Helper()
	d, err := Parse([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestCheckCatchesDrift: every kind of drift from the schema is reported,
// and a conforming answer is not.
func TestCheckCatchesDrift(t *testing.T) {
	d := load(t)
	s, err := d.Response("GET", "/v1/Things/{Sid}", 200)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		mutate func(m map[string]any)
		want   []string // substrings of the violations, in order; none for a conforming answer
	}{
		{"ok", func(m map[string]any) {}, nil},
		{"extra field", func(m map[string]any) { m["color"] = "red" }, []string{`field "color" is not in the spec`}},
		{"missing field", func(m map[string]any) { delete(m, "count") }, []string{`spec field "count" missing`}},
		{"renamed field", func(m map[string]any) { m["is_active"] = m["active"]; delete(m, "active") }, []string{`field "is_active" is not in the spec`, `spec field "active" missing`}},
		{"wrong type", func(m map[string]any) { m["active"] = "yes" }, []string{"spec type boolean"}},
		{"string for integer", func(m map[string]any) { m["count"] = "2" }, []string{"spec type integer"}},
		{"fraction for integer", func(m map[string]any) { m["count"] = 2.5 }, []string{"spec type integer"}},
		{"bad enum", func(m map[string]any) { m["status"] = "ajar" }, []string{"is not one of [open closed]"}},
		{"bad SID pattern", func(m map[string]any) { m["sid"] = "XX" + sid[2:] }, []string{"does not match ^TH"}},
		{"short SID", func(m map[string]any) { m["sid"] = sid[:33] }, []string{"does not match", "is shorter than 34"}},
		{"null not nullable", func(m map[string]any) { m["count"] = nil }, []string{".count: null"}},
		{"null enum not nullable", func(m map[string]any) { m["status"] = nil }, []string{".status: null"}},
		{"nested extra field", func(m map[string]any) { m["owner"].(map[string]any)["age"] = 3.0 }, []string{`thing.owner: field "age"`}},
		{"nested missing field", func(m map[string]any) { delete(m["owner"].(map[string]any), "name") }, []string{`thing.owner: spec field "name"`}},
		{"array item type", func(m map[string]any) { m["tags"] = []any{"a", 1.0} }, []string{"thing.tags[]: float64"}},
		{"object for array", func(m map[string]any) { m["tags"] = map[string]any{} }, []string{"spec type array"}},
		{"date not ISO 8601", func(m map[string]any) { m["date_created"] = "Mon, 05 Jan 2026 09:00:00 +0000" }, []string{"not an ISO 8601 UTC date-time"}},
		{"date not UTC", func(m map[string]any) { m["date_created"] = "2026-01-05T09:00:00+01:00" }, []string{"not an ISO 8601 UTC date-time"}},
		{"relative uri", func(m map[string]any) { m["url"] = "/v1/Things" }, []string{"not an absolute https URI"}},
		{"http uri", func(m map[string]any) { m["url"] = "http://example.twilio.com/v1/Things" }, []string{"not an absolute https URI"}},
		{"links uri", func(m map[string]any) { m["links"] = map[string]any{"parts": "Parts"} }, []string{"thing.links.parts: \"Parts\" is not an absolute https URI"}},
	}
	for _, tc := range cases {
		m := good()
		tc.mutate(m)
		errs := d.Check("thing", m, s)
		ok := len(errs) == len(tc.want)
		for i := 0; ok && i < len(errs); i++ {
			ok = strings.Contains(errs[i], tc.want[i])
		}
		if !ok {
			t.Errorf("%s: violations %v, want %q", tc.name, errs, tc.want)
		}
	}
}

// TestCheckLists: the items of a list envelope are checked, and meta.key
// must name the list.
func TestCheckLists(t *testing.T) {
	d := load(t)
	s, err := d.Response("GET", "/v1/Things", 200)
	if err != nil {
		t.Fatal(err)
	}
	if k := d.ListKey(s); k != "things" {
		t.Fatalf("ListKey = %q", k)
	}
	item := good()
	item["count"] = true
	list := map[string]any{"things": []any{good(), item}, "meta": map[string]any{"key": "items", "page": 0.0}}
	errs := d.Check("list", list, s)
	if len(errs) != 2 || !strings.Contains(errs[0], "list.things[].count: bool") ||
		!strings.Contains(errs[1], `meta.key "items", the spec's list key is "things"`) {
		t.Errorf("violations %v", errs)
	}
	fields := map[string]int{}
	list["meta"].(map[string]any)["key"] = "things"
	item["count"] = 1.0
	c := &Checker{Doc: d, Visit: func(f string) { fields[f]++ }}
	if errs := c.Check("list", list, s); len(errs) != 0 {
		t.Errorf("violations %v", errs)
	}
	if len(fields) != 2+14+2 || fields[".things[].owner.name"] != 2 || fields[".meta.key"] != 1 {
		t.Errorf("visited %v", fields) // things, meta; 13 per item, owner.name; meta.key, meta.page
	}

	empty := map[string]any{"things": []any{}, "meta": map[string]any{"key": "things", "page": 0.0}}
	if errs := d.Check("list", empty, s); len(errs) != 0 {
		t.Errorf("empty list: %v", errs)
	}
	c = &Checker{Doc: d, RequireItems: true}
	if errs := c.Check("list", empty, s); len(errs) != 1 || !strings.Contains(errs[0], `list: list "things" is empty`) {
		t.Errorf("empty list with RequireItems: %v", errs)
	}
}

// TestCheckerSkip: skipped fields are neither checked nor required.
func TestCheckerSkip(t *testing.T) {
	d := load(t)
	s, _ := d.Response("GET", "/v1/Things/{Sid}", 200)
	m := good()
	m["count"] = "many"
	delete(m, "status")
	delete(m["owner"].(map[string]any), "name")
	var asked []string
	c := &Checker{Doc: d, Skip: func(f string) bool {
		asked = append(asked, f)
		return f == ".count" || f == ".status" || f == ".owner.name"
	}}
	if errs := c.Check("thing", m, s); len(errs) != 0 {
		t.Errorf("violations %v", errs)
	}
	if len(asked) != 13+1 {
		t.Errorf("asked about %v", asked)
	}
	if errs := d.Check("thing", m, s); len(errs) != 3 {
		t.Errorf("without Skip: %v", errs)
	}
}

func TestUnknownType(t *testing.T) {
	d := load(t)
	if errs := d.Check("x", "a", &Schema{Type: "str"}); len(errs) != 1 || !strings.Contains(errs[0], `spec type "str" unknown`) {
		t.Errorf("violations %v", errs)
	}
	if errs := d.Check("x", "a", &Schema{Ref: "#/components/schemas/nope"}); len(errs) != 1 {
		t.Errorf("dangling $ref: %v", errs)
	}
}

func TestResponse(t *testing.T) {
	d := load(t)
	if s, err := d.Response("DELETE", "/v1/Things/{Sid}", 204); s != nil || err != nil {
		t.Errorf("204: %v, %v", s, err)
	}
	if _, err := d.Response("GET", "/v1/Things/{Sid}", 201); err == nil {
		t.Error("an undocumented status is not an error")
	}
	if _, err := d.Response("PUT", "/v1/Things/{Sid}", 200); err == nil {
		t.Error("an undocumented method is not an error")
	}
	if st, s, err := d.Success("post", "/v1/Things"); st != 201 || s == nil || err != nil {
		t.Errorf("Success = %d, %v, %v", st, s, err)
	}
	if op := d.Operation("GET", "/v1/Things"); op == nil || len(op.Parameters) != 1 {
		t.Errorf("Operation = %+v", op)
	}
	ws, err := ParseSchema(`{"type": "object", "properties": {"identity": {"type": "string", "nullable": true}}}`)
	if err != nil {
		t.Fatal(err)
	}
	if errs := d.Check("w", map[string]any{"identity": nil, "x": 1.0}, ws); len(errs) != 1 {
		t.Errorf("hand-written schema: %v", errs)
	}
}

// recorder is a testing.TB that keeps the failures reported to it.
type recorder struct {
	testing.TB
	failures []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestExpectDrift(t *testing.T) {
	d := load(t)
	s, _ := d.Response("GET", "/v1/Things/{Sid}", 200)
	r := &recorder{TB: t}
	d.ExpectDrift(r, "thing", s, good(), map[string]func(m map[string]any){
		"extra":    func(m map[string]any) { m["color"] = "red" },
		"harmless": func(m map[string]any) { m["count"] = 3.0 },
	})
	if len(r.failures) != 1 || r.failures[0] != "harmless: no violation reported" {
		t.Errorf("failures %v", r.failures)
	}
	bad := good()
	delete(bad, "sid")
	r = &recorder{TB: t}
	d.ExpectDrift(r, "thing", s, bad, nil)
	if len(r.failures) != 1 || !strings.Contains(r.failures[0], "the unchanged answer") {
		t.Errorf("failures %v", r.failures)
	}
}

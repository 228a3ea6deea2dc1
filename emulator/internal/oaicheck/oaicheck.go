// Package oaicheck checks JSON answers against Twilio's OpenAPI specs.
//
// It is the spec machinery the products' contract tests share: loading a
// (trimmed) twilio-oai spec, resolving $ref, finding an operation's
// response schema by method, path and status, and checking a decoded JSON
// value against a schema. It is a normal package so that every product's
// tests can import it, but only tests use it.
//
// Check is strict: an object must have exactly the properties its schema
// lists (none it lacks, none missing), nested objects and array items are
// checked recursively, every value must have the schema's JSON type
// (integers integral; a type the checker does not know is itself an
// error), null is allowed only where the schema (or the property referring
// to it) says nullable, enum values, patterns (SID prefixes), string
// lengths and the date-time (ISO 8601 UTC), uri (absolute https) and
// uri-map formats are honoured, and a Twilio list envelope's meta.key must
// name the list's array property. Objects whose schema lists no properties
// (attributes, links …) are free-form; so is a schema without a type.
// A Checker adds options: lists that must have items, fields to skip, and
// a hook that sees every field checked.
package oaicheck

import (
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Schema is the part of an OpenAPI schema object the checks read.
type Schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Format     string             `json:"format"`
	Nullable   bool               `json:"nullable"`
	Properties map[string]*Schema `json:"properties"`
	Items      *Schema            `json:"items"`
	Enum       []any              `json:"enum"`
	Pattern    string             `json:"pattern"`
	MinLength  *int               `json:"minLength"`
	MaxLength  *int               `json:"maxLength"`
}

// Parameter is an operation parameter (path, query …).
type Parameter struct {
	Name string `json:"name"`
	In   string `json:"in"`
}

// Response is one documented answer of an operation.
type Response struct {
	Content map[string]struct {
		Schema *Schema `json:"schema"`
	} `json:"content"`
}

// Operation is one method on one path.
type Operation struct {
	Parameters []Parameter          `json:"parameters"`
	Responses  map[string]*Response `json:"responses"`
}

// Doc is a loaded OpenAPI document.
type Doc struct {
	// Paths maps a path template ("/v1/Workspaces/{Sid}") and a lower-case
	// method to its operation.
	Paths      map[string]map[string]*Operation `json:"paths"`
	Components struct {
		Schemas map[string]*Schema `json:"schemas"`
	} `json:"components"`

	mu       sync.Mutex
	patterns map[string]*regexp.Regexp
}

// Load reads and parses the spec at path.
func Load(path string) (*Doc, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	d, err := Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// MustLoad is Load for tests: it fails tb on an error.
func MustLoad(tb testing.TB, path string) *Doc {
	tb.Helper()
	d, err := Load(path)
	if err != nil {
		tb.Fatal(err)
	}
	return d
}

// Parse parses a spec.
func Parse(raw []byte) (*Doc, error) {
	var d Doc
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// ParseSchema parses a single schema written out by hand (one the trimmed
// spec does not carry, e.g. from another version of the product's API).
func ParseSchema(raw string) (*Schema, error) {
	var s Schema
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// Resolve follows $refs to components.schemas; an unknown $ref resolves
// to nil.
func (d *Doc) Resolve(s *Schema) *Schema {
	for i := 0; s != nil && s.Ref != "" && i < 32; i++ {
		s = d.Components.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")]
	}
	return s
}

// Operation returns the operation for method (any case) on the path
// template, or nil.
func (d *Doc) Operation(method, path string) *Operation {
	return d.Paths[path][strings.ToLower(method)]
}

// Response returns the resolved JSON schema of the operation's answer with
// that status. It is an error if the spec does not have the operation or
// that status for it, or if the answer has content but no JSON schema; an
// answer without content (204) gives a nil schema and no error.
func (d *Doc) Response(method, path string, status int) (*Schema, error) {
	op := d.Operation(method, path)
	if op == nil {
		return nil, fmt.Errorf("%s %s is not in the spec", method, path)
	}
	r, ok := op.Responses[strconv.Itoa(status)]
	if !ok {
		return nil, fmt.Errorf("%s %s: the spec has no %d answer", method, path, status)
	}
	if r == nil || len(r.Content) == 0 {
		return nil, nil
	}
	c, ok := r.Content["application/json"]
	if !ok || c.Schema == nil {
		return nil, fmt.Errorf("%s %s: the spec's %d answer has no JSON schema", method, path, status)
	}
	s := d.Resolve(c.Schema)
	if s == nil {
		return nil, fmt.Errorf("%s %s: the spec's %d schema %s does not resolve", method, path, status, c.Schema.Ref)
	}
	return s, nil
}

// Success returns the operation's success status (its lowest 2xx answer)
// and, as Response does, that answer's schema.
func (d *Doc) Success(method, path string) (int, *Schema, error) {
	op := d.Operation(method, path)
	if op == nil {
		return 0, nil, fmt.Errorf("%s %s is not in the spec", method, path)
	}
	best := 0
	for code := range op.Responses {
		if st, err := strconv.Atoi(code); err == nil && st >= 200 && st < 300 && (best == 0 || st < best) {
			best = st
		}
	}
	if best == 0 {
		return 0, nil, fmt.Errorf("%s %s has no success answer in the spec", method, path)
	}
	s, err := d.Response(method, path, best)
	return best, s, err
}

// ListKey returns the name of the array property of a Twilio list envelope
// schema (one with a "meta" property), or "" if s is not one.
func (d *Doc) ListKey(s *Schema) string {
	s = d.Resolve(s)
	if s == nil {
		return ""
	}
	if _, ok := s.Properties["meta"]; !ok {
		return ""
	}
	var keys []string
	for k, p := range s.Properties {
		if p = d.Resolve(p); k != "meta" && p != nil && p.Type == "array" {
			keys = append(keys, k)
		}
	}
	if len(keys) != 1 {
		return ""
	}
	return keys[0]
}

// Check compares a decoded JSON value (as encoding/json decodes into any)
// with schema s and returns the violations, sorted, each prefixed with
// where and the path to the value (".field", "[]" for array items). A nil
// schema constrains nothing.
func (d *Doc) Check(where string, v any, s *Schema) []string {
	return (&Checker{Doc: d}).Check(where, v, s)
}

// Checker is Doc.Check with options. Field paths given to Skip and Visit
// are relative to the checked value: ".status", ".links.steps",
// ".steps[].name".
type Checker struct {
	Doc *Doc
	// RequireItems makes an empty list envelope a violation, so that the
	// spec's item schema is sure to be checked against a real item.
	RequireItems bool
	// Skip, if set, is asked about every object field present or missing;
	// true leaves that field (and what is under it) unchecked.
	Skip func(field string) bool
	// Visit, if set, is called with every object field checked.
	Visit func(field string)
}

// Check is Doc.Check with c's options.
func (c *Checker) Check(where string, v any, s *Schema) []string {
	w := &walker{Checker: c, where: where}
	w.value("", v, s, false)
	sort.Strings(w.errs)
	return w.errs
}

type walker struct {
	*Checker
	where string
	errs  []string
}

func (c *walker) errorf(field, format string, args ...any) {
	c.errs = append(c.errs, c.where+field+": "+fmt.Sprintf(format, args...))
}

// value checks v, at field, against s; nullable is whether the referring
// schema already allows null.
func (c *walker) value(field string, v any, s *Schema, nullable bool) {
	for s != nil && s.Ref != "" {
		nullable = nullable || s.Nullable
		r := c.Doc.Resolve(s)
		if r == nil {
			c.errorf(field, "spec $ref %s does not resolve", s.Ref)
			return
		}
		s = r
	}
	if s == nil {
		return
	}
	if v == nil {
		if !nullable && !s.Nullable {
			c.errorf(field, "null, but the spec does not make it nullable")
		}
		return
	}
	typ := s.Type
	if typ == "" && len(s.Properties) > 0 {
		typ = "object"
	}
	ok := true
	switch typ {
	case "string":
		_, ok = v.(string)
	case "integer":
		f, isNum := v.(float64)
		ok = isNum && f == math.Trunc(f)
	case "number":
		_, ok = v.(float64)
	case "boolean":
		_, ok = v.(bool)
	case "array":
		_, ok = v.([]any)
	case "object":
		_, ok = v.(map[string]any)
	case "":
		// free-form (a definition, a context): any JSON value
	default:
		c.errorf(field, "spec type %q unknown to the checker", typ)
	}
	if !ok {
		c.errorf(field, "%T value %v, spec type %s", v, v, typ)
		return
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			found = found || e == v
		}
		if !found {
			c.errorf(field, "%v is not one of %v", v, s.Enum)
		}
	}
	if str, isStr := v.(string); isStr {
		c.str(field, str, s)
	}
	switch x := v.(type) {
	case map[string]any:
		c.object(field, x, s)
	case []any:
		for _, el := range x {
			c.value(field+"[]", el, s.Items, false)
		}
	}
}

// str checks a string's pattern, length limits and format.
func (c *walker) str(field, str string, s *Schema) {
	if s.Pattern != "" {
		re, err := c.Doc.pattern(s.Pattern)
		if err != nil {
			c.errorf(field, "spec pattern %q: %v", s.Pattern, err)
		} else if !re.MatchString(str) {
			c.errorf(field, "%q does not match %s", str, s.Pattern)
		}
	}
	n := len([]rune(str))
	if s.MinLength != nil && n < *s.MinLength {
		c.errorf(field, "%q is shorter than %d", str, *s.MinLength)
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		c.errorf(field, "%q is longer than %d", str, *s.MaxLength)
	}
	switch s.Format {
	case "date-time":
		if _, err := time.Parse(time.RFC3339, str); err != nil || !strings.HasSuffix(str, "Z") {
			c.errorf(field, "%q is not an ISO 8601 UTC date-time", str)
		}
	case "uri":
		if u, err := url.Parse(str); err != nil || u.Scheme != "https" || u.Host == "" {
			c.errorf(field, "%q is not an absolute https URI", str)
		}
	}
}

func (c *walker) object(field string, x map[string]any, s *Schema) {
	if s.Format == "uri-map" {
		for k, u := range x {
			us, _ := u.(string)
			c.str(field+"."+k, us, &Schema{Format: "uri"})
		}
	}
	if len(s.Properties) == 0 {
		return // free-form object (attributes, links …)
	}
	for k, fv := range x {
		ps, known := s.Properties[k]
		if !known {
			c.errorf(field, "field %q is not in the spec", k)
			continue
		}
		if c.Skip != nil && c.Skip(field+"."+k) {
			continue
		}
		if c.Visit != nil {
			c.Visit(field + "." + k)
		}
		c.value(field+"."+k, fv, ps, false)
	}
	for k := range s.Properties {
		if _, ok := x[k]; !ok && (c.Skip == nil || !c.Skip(field+"."+k)) {
			c.errorf(field, "spec field %q missing", k)
		}
	}
	if key := c.Doc.ListKey(s); key != "" {
		meta, _ := x["meta"].(map[string]any)
		if got, _ := meta["key"].(string); got != key {
			c.errorf(field, "meta.key %q, the spec's list key is %q", got, key)
		}
		if items, _ := x[key].([]any); c.RequireItems && len(items) == 0 {
			c.errorf(field, "list %q is empty; the contract test needs an item to check", key)
		}
	}
}

// ExpectDrift is the body of a "the check catches drift" test: good must
// pass Check against s, and every mutation (by name) of a shallow copy of
// good must give at least one violation; failures are reported on tb.
func (d *Doc) ExpectDrift(tb testing.TB, where string, s *Schema, good map[string]any, mutations map[string]func(m map[string]any)) {
	tb.Helper()
	if errs := d.Check(where, good, s); len(errs) > 0 {
		tb.Errorf("the unchanged answer: violations %v", errs)
	}
	for name, mutate := range mutations {
		m := make(map[string]any, len(good))
		for k, v := range good {
			m[k] = v
		}
		mutate(m)
		if len(d.Check(where, m, s)) == 0 {
			tb.Errorf("%s: no violation reported", name)
		}
	}
}

func (d *Doc) pattern(p string) (*regexp.Regexp, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if re, ok := d.patterns[p]; ok {
		return re, nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	if d.patterns == nil {
		d.patterns = map[string]*regexp.Regexp{}
	}
	d.patterns[p] = re
	return re, nil
}

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
// (integers integral), null is allowed only where the schema (or the
// property referring to it) says nullable, enum values, patterns (SID
// prefixes) and string lengths are honoured, and a Twilio list envelope's
// meta.key must name the list's array property. Objects whose schema lists
// no properties (attributes, links …) are free-form.
package oaicheck

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Schema is the part of an OpenAPI schema object the checks read.
type Schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
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
	return d.CheckVisit(where, v, s, nil)
}

// CheckVisit is Check that also calls visit with the path of every object
// field it checks ("where.field.sub").
func (d *Doc) CheckVisit(where string, v any, s *Schema, visit func(field string)) []string {
	c := &checker{doc: d, visit: visit}
	c.value(where, v, s, false)
	sort.Strings(c.errs)
	return c.errs
}

type checker struct {
	doc   *Doc
	visit func(string)
	errs  []string
}

func (c *checker) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// value checks v against s; nullable is whether the referring schema
// already allows null.
func (c *checker) value(where string, v any, s *Schema, nullable bool) {
	for s != nil && s.Ref != "" {
		nullable = nullable || s.Nullable
		r := c.doc.Resolve(s)
		if r == nil {
			c.errorf("%s: spec $ref %s does not resolve", where, s.Ref)
			return
		}
		s = r
	}
	if s == nil {
		return
	}
	if v == nil {
		if !nullable && !s.Nullable {
			c.errorf("%s: null, but the spec does not make it nullable", where)
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
	}
	if !ok {
		c.errorf("%s: %T value %v, spec type %s", where, v, v, typ)
		return
	}
	if len(s.Enum) > 0 {
		found := false
		for _, e := range s.Enum {
			found = found || e == v
		}
		if !found {
			c.errorf("%s: %v is not one of %v", where, v, s.Enum)
		}
	}
	if str, isStr := v.(string); isStr {
		c.str(where, str, s)
	}
	switch x := v.(type) {
	case map[string]any:
		c.object(where, x, s)
	case []any:
		for _, el := range x {
			c.value(where+"[]", el, s.Items, false)
		}
	}
}

func (c *checker) str(where, str string, s *Schema) {
	if s.Pattern != "" {
		re, err := c.doc.pattern(s.Pattern)
		if err != nil {
			c.errorf("%s: spec pattern %q: %v", where, s.Pattern, err)
		} else if !re.MatchString(str) {
			c.errorf("%s: %q does not match %s", where, str, s.Pattern)
		}
	}
	n := len([]rune(str))
	if s.MinLength != nil && n < *s.MinLength {
		c.errorf("%s: %q is shorter than %d", where, str, *s.MinLength)
	}
	if s.MaxLength != nil && n > *s.MaxLength {
		c.errorf("%s: %q is longer than %d", where, str, *s.MaxLength)
	}
}

func (c *checker) object(where string, x map[string]any, s *Schema) {
	if len(s.Properties) == 0 {
		return // free-form object (attributes, links …)
	}
	for k, fv := range x {
		ps, known := s.Properties[k]
		if !known {
			c.errorf("%s: field %q is not in the spec", where, k)
			continue
		}
		if c.visit != nil {
			c.visit(where + "." + k)
		}
		c.value(where+"."+k, fv, ps, false)
	}
	for k := range s.Properties {
		if _, ok := x[k]; !ok {
			c.errorf("%s: spec field %q missing", where, k)
		}
	}
	if key := c.doc.ListKey(s); key != "" {
		meta, _ := x["meta"].(map[string]any)
		if got, _ := meta["key"].(string); got != key {
			c.errorf("%s: meta.key %q, the spec's list key is %q", where, got, key)
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

// Package liquid implements the subset of the Liquid template language that
// Twilio Studio flows use in widget properties (Send to Flex attributes,
// message bodies, split inputs).
//
// Templates are parsed once (at flow load) and rendered many times against a
// context tree of map[string]any, []any, string, float64, int, bool and nil,
// e.g. ctx["trigger"]["conversation"]["Body"]. Undefined variables render as
// the empty string. Unlike Ruby Liquid, maps and arrays output without a filter
// render as JSON (Studio-like), and integral numbers render without a decimal
// point ("3", not "3.0").
//
// Supported: {{ path.to[0].var | filter: arg }}, whitespace control ({{- -}}
// {%- -%}), tags if/elsif/else/unless, assign, capture, for (limit, offset,
// reversed, else, forloop.*, break, continue, ranges), comment, raw and
// {% # %}; conditions ==, !=, <>, <, >, <=, >=, contains, and, or (right to
// left, as Liquid), with only nil and false falsy. Filters are listed in
// filters.go; an unknown filter or tag fails Parse. An integral float64 from
// the context counts as an integer in arithmetic (JSON has no integer type),
// so 10 | divided_by: 4 is 2, as in Liquid.
package liquid

import (
	"fmt"
	"strings"
	"time"
)

// Template is a parsed Liquid template; parse once (flow load), render many
// times. A Template is immutable and safe for concurrent use.
type Template struct {
	root []node
	size int // source length, a hint for the output buffer
}

// SyntaxError is a Parse error at a byte offset of the template source.
type SyntaxError struct {
	Offset int    // byte offset in the source
	Msg    string // what is wrong, e.g. `unclosed "{{"`
}

// Error formats the error as `liquid: <msg> at offset <n>`.
func (e *SyntaxError) Error() string {
	return fmt.Sprintf("liquid: %s at offset %d", e.Msg, e.Offset)
}

func errAt(offset int, format string, args ...any) error {
	return &SyntaxError{Offset: offset, Msg: fmt.Sprintf(format, args...)}
}

// Parse parses src. Syntax errors, unknown tags and unknown filters are
// reported as *SyntaxError naming the position.
func Parse(src string) (*Template, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, _, _, err := p.parseNodes(nil, "")
	if err != nil {
		return nil, err
	}
	return &Template{root: root, size: len(src)}, nil
}

// Render renders t against ctx. The date filter's "now" is the wall clock;
// use RenderAt to supply the emulator's clock instead.
func (t *Template) Render(ctx map[string]any) (string, error) {
	return t.RenderAt(ctx, time.Time{})
}

// RenderAt renders t against ctx with now as the date filter's "now" (the
// wall clock when now is zero).
func (t *Template) RenderAt(ctx map[string]any, now time.Time) (string, error) {
	r := renderer{ctx: ctx, now: now}
	var b strings.Builder
	b.Grow(t.size + t.size/2)
	if err := r.renderNodes(&b, t.root); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Render parses and renders src against ctx in one call.
func Render(src string, ctx map[string]any) (string, error) {
	t, err := Parse(src)
	if err != nil {
		return "", err
	}
	return t.Render(ctx)
}

package liquid

import (
	"errors"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("{% if x %}", maxDepth+1) + strings.Repeat("{% endif %}", maxDepth+1)
	cases := []struct {
		name, tmpl, want string
		offset           int
	}{
		{"unclosed output", `Hello there {{ name`, `liquid: unclosed "{{" at offset 12`, 12},
		{"unclosed tag", `a {% if x`, `liquid: unclosed "{%" at offset 2`, 2},
		{"if not closed", `{% if x %}a`, `liquid: "if" tag not closed (missing {% endif %}) at offset 0`, 0},
		{"for not closed", `x{% for a in b %}{% if a %}{% endif %}`, `liquid: "for" tag not closed (missing {% endfor %}) at offset 1`, 1},
		{"unless closed by endif", `{% unless x %}{% endif %}`, `liquid: unexpected {% endif %} at offset 14`, 14},
		{"stray endif", `a{% endif %}`, `liquid: unexpected {% endif %} at offset 1`, 1},
		{"stray else", `{% else %}`, `liquid: unexpected {% else %} at offset 0`, 0},
		{"elsif after else", `{% if a %}{% else %}{% elsif b %}{% endif %}`, `liquid: unexpected {% elsif %} at offset 20`, 20},
		{"unknown tag", `{% case x %}`, `liquid: unknown tag "case" at offset 0`, 0},
		{"empty tag", `{% %}`, `liquid: empty tag at offset 0`, 0},
		{"unknown filter", `{{ x | nope }}`, `liquid: unknown filter "nope" at offset 7`, 7},
		{"unknown filter in assign", `{% assign y = x | upcase | bogus: 1 %}`, `liquid: unknown filter "bogus" at offset 27`, 27},
		{"filter missing argument", `{{ x | append }}`, `liquid: filter "append" expects 1 argument, got 0 at offset 7`, 7},
		{"filter too many arguments", `{{ x | upcase: 1 }}`, `liquid: filter "upcase" expects no arguments, got 1 at offset 7`, 7},
		{"filter arity range", `{{ x | replace: 1, 2, 3 }}`, `liquid: filter "replace" expects 1 to 2 arguments, got 3 at offset 7`, 7},
		{"unknown filter option", `{{ x | default: 1, strict: true }}`, `liquid: filter "default" has no option "strict" at offset 19`, 19},
		{"missing filter name", `{{ x | }}`, `liquid: expected a filter name after "|", got end of markup at offset 7`, 7},
		{"unterminated string", `{{ 'abc }}`, `liquid: unterminated string at offset 3`, 3},
		{"junk after value", `{{ x y }}`, `liquid: unexpected "y" at offset 5`, 5},
		{"bad character", `{{ x # }}`, `liquid: unexpected character '#' at offset 5`, 5},
		{"dangling dot", `{{ a.b. }}`, `liquid: expected a name after ".", got end of markup at offset 8`, 8},
		{"unclosed bracket", `{{ a[0 }}`, `liquid: expected "]" after index, got end of markup at offset 7`, 7},
		{"missing condition", `{% if %}{% endif %}`, `liquid: missing condition at offset 6`, 6},
		{"bad condition", `{% if a == %}{% endif %}`, `liquid: expected a value, got end of markup at offset 10`, 10},
		{"condition junk", `{% if a b %}{% endif %}`, `liquid: unexpected "b" in condition at offset 8`, 8},
		{"filter in condition", `{% if a | size %}{% endif %}`, `liquid: unexpected "|" in condition at offset 8`, 8},
		{"for without in", `{% for x %}{% endfor %}`, `liquid: expected "in" in for, got end of markup at offset 8`, 8},
		{"for bad option", `{% for x in y sorted %}{% endfor %}`, `liquid: unexpected "sorted" in for at offset 14`, 14},
		{"assign without name", `{% assign = 1 %}`, `liquid: expected a variable name in assign, got "=" at offset 10`, 10},
		{"assign without equals", `{% assign x 1 %}`, `liquid: expected "=" in assign, got "1" at offset 12`, 12},
		{"raw not closed", `a{% raw %}{{ x }}`, `liquid: "raw" tag not closed (missing {% endraw %}) at offset 1`, 1},
		{"comment not closed", `{% comment %}{% comment %}{% endcomment %}`, `liquid: "comment" tag not closed (missing {% endcomment %}) at offset 0`, 0},
		{"break with argument", `{% break now %}`, `liquid: unexpected "now" after break at offset 9`, 9},
		{"range not closed", `{% for i in (1..3 %}{% endfor %}`, `liquid: expected ")" closing range, got end of markup at offset 17`, 17},
		{"nesting too deep", deep, `liquid: tags nested deeper than 64 at offset 640`, 640},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.tmpl)
			if err == nil {
				t.Fatalf("Parse(%q) succeeded", tc.tmpl)
			}
			if err.Error() != tc.want {
				t.Errorf("Parse(%q)\n got %s\nwant %s", tc.tmpl, err, tc.want)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset != tc.offset {
				t.Errorf("Parse(%q) error %#v, want *SyntaxError at %d", tc.tmpl, err, tc.offset)
			}
			if _, rerr := Render(tc.tmpl, nil); rerr == nil || rerr.Error() != err.Error() {
				t.Errorf("Render(%q) error %v, want the Parse error", tc.tmpl, rerr)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	cases := []struct{ name, tmpl, want string }{
		{"divide by zero", `{{ 1 | divided_by: 0 }}`, `liquid: divided_by: divided by 0`},
		{"float divide by zero", `{{ 1.5 | divided_by: 0.0 }}`, `liquid: divided_by: divided by 0`},
		{"modulo by zero", `{{ 1 | modulo: nope }}`, `liquid: modulo: divided by 0`},
		{"range too large", `{% for i in (1..100000) %}{% endfor %}`, `liquid: range (1..100000) has more than 10000 items`},
		{"too many iterations", `{% for a in (1..200) %}{% for b in (1..200) %}{% endfor %}{% endfor %}`, `liquid: more than 10000 loop iterations`},
		{"output too large", `{% assign s = "0123456789abcdef" %}{% for i in (1..20) %}{% assign s = s | append: s %}{% endfor %}{{ s }}`, `liquid: render exceeds 8388608 bytes`},
		{"replace too large", `{% assign s = "xxxxxxxxxxxxxxxx" | append: "xxxxxxxxxxxxxxxx" %}{% for i in (1..9) %}{% assign s = s | replace: "x", s %}{% endfor %}`, `liquid: render exceeds 8388608 bytes`},
		{"to_json of infinity", `{{ "1` + strings.Repeat("0", 400) + `.5" | plus: 0 | to_json }}`, `liquid: to_json: json: unsupported value: +Inf`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tpl, err := Parse(tc.tmpl)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.tmpl, err)
			}
			got, err := tpl.Render(nil)
			if err == nil || err.Error() != tc.want {
				t.Errorf("Render(%q) = %.40q, %v; want error %s", tc.tmpl, got, err, tc.want)
			}
		})
	}
}

package liquid

import (
	"errors"
	"testing"
)

// FuzzRender checks that no template makes Parse or Render panic, that Parse
// errors are SyntaxErrors and that rendering is deterministic.
func FuzzRender(f *testing.F) {
	for _, cases := range [][]renderCase{studioCases, outputCases, tagCases, filterCases} {
		for _, tc := range cases {
			f.Add(tc.tmpl)
		}
	}
	for _, s := range []string{`{{`, `{%`, `{{-}}`, `{%-%}`, `{% raw %}`, `{% comment %}`, `{{ a[`, `{{ (1..`, `{{ x | date: "%-`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(src) {
				t.Fatalf("Parse(%q): %v is not a SyntaxError within the source", src, err)
			}
			return
		}
		ctx := studioCtx()
		got1, err1 := tpl.RenderAt(ctx, t0)
		got2, err2 := tpl.RenderAt(ctx, t0)
		if got1 != got2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("Render(%q) not deterministic: %q/%v vs %q/%v", src, got1, err1, got2, err2)
		}
	})
}

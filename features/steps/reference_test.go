package steps

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/cucumber/godog"
)

var update = flag.Bool("update", false, "rewrite docs/steps.md from the step tables")

const referencePath = "../../docs/steps.md"

// reference renders docs/steps.md from areas: every pattern and its doc
// line, grouped by area and file.
func reference() string {
	var b strings.Builder
	b.WriteString("# Godog step reference\n\n")
	b.WriteString("<!-- Generated from the step tables in features/steps by scripts/gen-steps-reference.sh; do not edit. -->\n\n")
	b.WriteString("Every step `steps.Register` adds (see the README's \"Godog step library\"). Patterns are Go\n")
	b.WriteString("regular expressions: `\"([^\"]+)\"` is a quoted string argument, `(\\d+)` a number, `(a|b)` a choice\n")
	b.WriteString("and `(?:…)?` an optional part. \"The conversation\" and \"the task\" are the ones the last customer\n")
	b.WriteString("message (or the last step that made one) created.\n")
	for _, a := range areas {
		fmt.Fprintf(&b, "\n## %s\n\n", a.title)
		if len(a.steps) > 0 {
			fmt.Fprintf(&b, "In `features/steps/%s`.\n\n", defFile(a.steps[0]))
		}
		for _, d := range a.steps {
			fmt.Fprintf(&b, "- `%s`  \n  %s\n", d.pattern, d.doc)
		}
	}
	return b.String()
}

// defFile is the file d's method is in.
func defFile(d stepDef) string {
	f := runtime.FuncForPC(reflect.ValueOf(d.fn).Pointer())
	if f == nil {
		return "?"
	}
	file, _ := f.FileLine(f.Entry())
	return filepath.Base(file)
}

// TestStepsReference keeps docs/steps.md what the step tables generate.
func TestStepsReference(t *testing.T) {
	got := reference()
	if *update {
		if err := os.WriteFile(referencePath, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("reading docs/steps.md: %v; run scripts/gen-steps-reference.sh", err)
	}
	if string(want) != got {
		t.Fatalf("docs/steps.md differs from the step tables in features/steps; run scripts/gen-steps-reference.sh and commit the result")
	}
}

// TestStepTable checks every definition: a *World method of the expected
// shape, a doc line, a pattern that compiles, is anchored, has as many
// groups as the method has arguments and is not listed twice; the areas'
// files are one per area.
func TestStepTable(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range areas {
		if len(a.steps) == 0 {
			t.Errorf("area %q has no steps", a.title)
		}
		for _, d := range a.steps {
			if err := d.check(); err != nil {
				t.Error(err)
				continue
			}
			re, err := regexp.Compile(d.pattern)
			if err != nil {
				t.Errorf("step %s: %v", d.pattern, err)
				continue
			}
			if !strings.HasPrefix(d.pattern, "^") || !strings.HasSuffix(d.pattern, "$") {
				t.Errorf("step %s is not anchored with ^…$", d.pattern)
			}
			args := reflect.TypeOf(d.fn).NumIn() - 2 // *World, context.Context
			for i := 2; i < reflect.TypeOf(d.fn).NumIn(); i++ {
				if k := reflect.TypeOf(d.fn).In(i); k == reflect.TypeOf((*godog.Table)(nil)) || k == reflect.TypeOf((*godog.DocString)(nil)) {
					args-- // the step's table or docstring, not a group
				}
			}
			if re.NumSubexp() != args {
				t.Errorf("step %s has %d groups, its method %d arguments", d.pattern, re.NumSubexp(), args)
			}
			if seen[d.pattern] {
				t.Errorf("step %s is listed twice", d.pattern)
			}
			seen[d.pattern] = true
			if f, first := defFile(d), defFile(a.steps[0]); f != first {
				t.Errorf("step %s of area %q is in %s, the area's file is %s", d.pattern, a.title, f, first)
			}
		}
	}
}

// TestHandlerNeedsWorld: a step run outside Register's scenario lifecycle
// fails with a message instead of panicking.
func TestHandlerNeedsWorld(t *testing.T) {
	h := emulatorSteps[2].handler().(func(context.Context, int, string) error)
	err := h(context.Background(), 1, "second")
	if err == nil || !strings.Contains(err.Error(), "steps.Register") {
		t.Fatalf("err = %v, want one naming steps.Register", err)
	}
}

// TestStepsOnlyInTables: a step registered with sc.Step outside the tables
// would be missing from docs/steps.md.
func TestStepsOnlyInTables(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f == "register.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`\.(Step|Given|When|Then)\(`).Match(src) {
			t.Errorf("%s registers a step directly; add it to a []stepDef table listed in areas (register.go) instead", f)
		}
	}
}

package expr

import "testing"

// BenchmarkEvalTargetExpression measures the per-worker cost of a typical
// target_workers expression; it must stay at 0 allocs/op.
func BenchmarkEvalTargetExpression(b *testing.B) {
	v := &Vars{Default: attrs(b, attrsW)}
	e := MustParse(`skills HAS 'support' AND level >= 5`)
	b.ReportAllocs()
	for b.Loop() {
		if !e.Eval(v) {
			b.Fatal("expected true")
		}
	}
}

// BenchmarkEvalWorkflowTarget covers prefixes, built-ins and NOT IN.
func BenchmarkEvalWorkflowTarget(b *testing.B) {
	v := &Vars{Task: attrs(b, attrsT), Worker: attrs(b, attrsW), WorkerInfo: &WorkerInfo{SID: "WK2"}}
	e := MustParse(`worker.skills HAS task.required AND worker.sid NOT IN task.rejected AND worker.level >= 5`)
	b.ReportAllocs()
	for b.Loop() {
		if !e.Eval(v) {
			b.Fatal("expected true")
		}
	}
}

// BenchmarkParse shows compile cost, paid once per queue/workflow update.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(`(language == "en" OR language == "fr") AND skill_rating >= 5.1 AND skills HAS 'support'`); err != nil {
			b.Fatal(err)
		}
	}
}

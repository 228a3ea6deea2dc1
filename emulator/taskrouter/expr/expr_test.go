package expr

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Attribute sets from docs/taskrouter.md section 2.4.
const (
	attrsA = `{"string_const":"foo","object":{"array":["a","b","c"],"attr":"bar"}}`
	attrsW = `{"skills":["support","billing"],"languages":["english","spanish"],"level":5,"english_level":7,"team":"gold"}`
	attrsT = `{"type":"ticket","customer_value":"Gold","language":"en","skill_rating":6,"required":"billing","rejected":["WK1"]}`
)

func attrs(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad fixture %s: %v", s, err)
	}
	return m
}

// saturday0915 is Saturday 2024-06-15 09:15 UTC.
var saturday0915 = time.Date(2024, 6, 15, 9, 15, 0, 0, time.UTC)

type fixtures struct {
	none, a, w, t, target, workerList, clock, counters, conds, misc *Vars
}

func newFixtures(t testing.TB) fixtures {
	w, tk := attrs(t, attrsW), attrs(t, attrsT)
	return fixtures{
		none: &Vars{},
		a:    &Vars{Default: attrs(t, attrsA)},
		w:    &Vars{Default: w},
		t:    &Vars{Default: tk},
		target: &Vars{Task: tk, Worker: w,
			WorkerInfo: &WorkerInfo{SID: "WK1", FriendlyName: "alice", ActivitySID: "WAidle", ActivityName: "Available"}},
		workerList: &Vars{Default: w,
			WorkerInfo: &WorkerInfo{SID: "WK1", FriendlyName: "alice", ActivitySID: "WAidle", ActivityName: "Available"}},
		clock:    &Vars{Now: saturday0915},
		counters: &Vars{Counters: map[string]float64{"available": 2, "WA123": 3}},
		conds:    &Vars{Default: attrs(t, `{"condition_a":false,"condition_b":true}`)},
		misc: &Vars{Default: attrs(t, `{"balance":0,"debt":-2.5,"nums":[1,2,3],"tags":["x",null],
			"empty":"","nothing":null,"café":"oui","obj":{}}`)},
	}
}

type vector struct {
	src  string
	vars *Vars
	want bool
}

func vectors(t testing.TB) []vector {
	f := newFixtures(t)
	goVals := &Vars{Default: map[string]any{
		"n": 3, "i64": int64(4), "f32": float32(1.5), "s": []string{"a", "b"},
		"jn": json.Number("12"), "odd": struct{}{},
	}}
	shadow := &Vars{
		Default:    map[string]any{"sid": "attr-sid", "task": map[string]any{"type": "ticket"}},
		Worker:     map[string]any{"sid": "attr-sid", "activity_name": "attr"},
		WorkerInfo: &WorkerInfo{SID: "WK1", ActivityName: "Offline"},
	}
	return []vector{
		// 1-30: docs/taskrouter.md section 2.4.
		{`1 == 1`, f.none, true},
		{`1==2`, f.none, false},
		{`0 != 1`, f.none, true},
		{`"apple" != "orange"`, f.none, true},
		{`string_const == 'foo'`, f.a, true},
		{`object.attr == "bar"`, f.a, true},
		{`object.array[2] == 'c'`, f.a, true},
		{`object.array HAS 'b'`, f.a, true},
		{`object.array HAS 'z'`, f.a, false},
		{`object.array == 'a'`, f.a, false},
		{`string_const HAS 'foo'`, f.a, false},
		{`missing_key == 'x'`, f.a, false},
		{`(skills HAS 'support') AND (languages HAS 'english')`, f.w, true},
		{`skills HAS 'sales' OR level >= 5`, f.w, true},
		{`level > 5`, f.w, false},
		{`team IN ['gold','silver']`, f.w, true},
		{`team NOT IN ['gold','silver']`, f.w, false},
		{`customer_value == 'Gold' AND type == 'ticket'`, f.t, true},
		{`(language == "en" OR language == "fr") AND skill_rating >= 5.1`, f.t, true},
		{`language IN ["en", "es"]`, f.t, true},
		{`type CONTAINS 'tick'`, f.t, true},
		{`type = 'ticket'`, f.t, true},
		{`worker.skills HAS task.required`, f.target, true},
		{`worker.sid NOT IN task.rejected`, f.target, false},
		{`worker.level == task.skill_rating`, f.target, false},
		{`activity_name contains 'Avail'`, f.workerList, true},
		{`taskrouter.dayOfWeek IN ['Sat','Sun']`, f.clock, true},
		{`taskrouter.currentTime > 0800 AND taskrouter.currentTime < 1830`, f.clock, true},
		{`workers.available == 0`, f.counters, false},
		{`(condition_a == true) OR (condition_b == true)`, f.conds, true},

		// Constants and literal forms.
		{`1 = 1`, f.none, true},
		{`'a' == "a"`, f.none, true},
		{`"it's" == "it's"`, f.none, true},
		{`'say "hi"' CONTAINS '"'`, f.none, true},
		{`0800 == 800`, f.none, true},
		{`1.0 == 1`, f.none, true},
		{`level >= 5.0000`, f.w, true},
		{`balance > -1`, f.misc, true},
		{`debt == -2.5`, f.misc, true},
		{`'b' > 'a'`, f.none, true},
		{`'B' > 'a'`, f.none, false},
		{`TRUE == true`, f.none, true},
		{`"language" == "spanish"`, f.none, false},

		// Types: mixed types and arrays never compare.
		{`level == '5'`, f.w, false},
		{`level != '5'`, f.w, false},
		{`condition_a == 'false'`, f.conds, false},
		{`condition_a == false`, f.conds, true},
		{`condition_a != true`, f.conds, true},
		{`condition_b > false`, f.conds, false},
		{`team != 'silver'`, f.w, true},
		{`team CONTAINS 'ol'`, f.w, true},
		{`skills CONTAINS 'support'`, f.w, false},
		{`level CONTAINS '5'`, f.w, false},
		{`empty CONTAINS ''`, f.misc, true},
		{`team HAS 'gold'`, f.w, false},
		{`team IN 'gold'`, f.w, false},
		{`skills IN ['support']`, f.w, false},
		{`skills == ['support','billing']`, f.w, false},
		{`skills HAS ['support']`, f.w, false},
		{`nums HAS 2`, f.misc, true},
		{`nums HAS '2'`, f.misc, false},
		{`tags HAS null`, f.misc, false},
		{`obj == obj`, f.misc, false},

		// Case sensitivity: values and names are case-sensitive, keywords not.
		{`team == 'Gold'`, f.w, false},
		{`skills HAS 'SUPPORT'`, f.w, false},
		{`TEAM == 'gold'`, f.w, false},
		{`team in ['gold'] and level >= 5`, f.w, true},
		{`skills has 'support' && level >= 5`, f.w, true},
		{`level > 10 || team == 'gold'`, f.w, true},
		{`skills Has 'billing' aNd team CoNtAiNs 'go'`, f.w, true},

		// Aliases >- (HAS) and <- (IN); "<-5" is IN, never "< -5".
		{`skills >- 'billing'`, f.w, true},
		{`team <- ['gold']`, f.w, true},
		{`level <-5`, f.w, false},
		{`level >-5`, f.w, false},

		// NULL and existence tests.
		{`missing != 'x'`, f.w, false},
		{`missing == null`, f.w, true},
		{`missing != null`, f.w, false},
		{`null == missing`, f.w, true},
		{`skills != null`, f.w, true},
		{`nothing == null`, f.misc, true},
		{`nothing != null`, f.misc, false},
		{`obj != null`, f.misc, true},
		{`null == null`, f.none, true},
		{`null != null`, f.none, false},
		{`level > null`, f.w, false},
		{`missing IN ['a']`, f.w, false},
		{`missing NOT IN ['a']`, f.w, false},
		{`missing == missing`, f.w, false},
		{`team NOT IN ['silver']`, f.w, true},
		{`team IN []`, f.w, false},
		{`team NOT IN []`, f.w, true},
		{`worker.sid NOT IN task.absent`, f.target, false},

		// Logic: NOT, precedence, grouping.
		{`NOT level > 10`, f.w, true},
		{`NOT (team == 'gold')`, f.w, false},
		{`NOT missing == 'x'`, f.w, true},
		{`not not team == 'gold'`, f.w, true},
		{`team == 'gold' OR level > 10 AND level < 3`, f.w, true},
		{`(team == 'gold' OR level > 10) AND level < 3`, f.w, false},
		{`((team == 'gold'))`, f.w, true},
		{`english_level >= 7 AND english_level <= 7`, f.w, true},

		// Paths and indexes.
		{`languages[1] == 'spanish'`, f.w, true},
		{`languages[5] == 'x'`, f.w, false},
		{`languages[0].x == 'a'`, f.w, false},
		{`object.attr.deeper == 'x'`, f.a, false},
		{`object[0] == 'x'`, f.a, false},
		{`object.array[0] IN ['a','z']`, f.a, true},
		{`object.array HAS object.array[1]`, f.a, true},
		{`object == null`, f.a, false},
		{`café == 'oui'`, f.misc, true},

		// Prefixes and built-in worker fields.
		{`worker.team == 'gold' AND task.type == 'ticket'`, f.target, true},
		{`task.missing == null`, f.target, true},
		{`worker.sid == 'WK1'`, f.target, true},
		{`worker.activity_name IN ['Available','Busy']`, f.target, true},
		{`worker.friendly_name == 'alice'`, f.target, true},
		{`sid == 'WK1'`, f.workerList, true},
		{`activity_sid == 'WAidle'`, f.workerList, true},
		{`sid == 'WK1'`, f.w, false},
		{`sid == 'attr-sid'`, shadow, true},
		{`worker.sid == 'WK1'`, shadow, true},
		{`worker.activity_name == 'attr'`, shadow, false},
		{`task.type == 'ticket'`, shadow, true},

		// Clock (UTC) and skip_if counters.
		{`taskrouter.dayOfWeek == 'Sat'`, f.clock, true},
		{`taskrouter.dayOfWeek = 'sat'`, f.clock, false},
		{`taskrouter.currentHour == 9 AND taskrouter.currentMin == 15`, f.clock, true},
		{`taskrouter.currentTime == 915`, f.clock, true},
		{`taskrouter.currentTime > 0800 AND taskrouter.currentTime < 0900`, f.clock, false},
		{`taskrouter.timezone == null`, f.clock, true},
		{`workers.available > 0`, f.counters, true},
		{`workers.unavailable == 0`, f.counters, true},
		{`workers.WA123 == 3`, f.counters, true},
		{`workers.available == 0`, f.none, false},
		{`1==1`, f.counters, true},

		// Go values a caller may build by hand.
		{`n == 3 AND i64 == 4 AND f32 == 1.5 AND jn == 12`, goVals, true},
		{`s HAS 'b' AND s[1] == 'b' AND s IN ['a']`, goVals, false},
		{`s HAS 'b' AND s[1] == 'b'`, goVals, true},
		{`s[0].x == null AND s[9] == null`, goVals, true},
		{`odd != null AND odd != 'x'`, goVals, false},
		{`odd != null`, goVals, true},

		// nil Vars: everything is missing.
		{`1==1`, nil, true},
		{`x == null`, nil, true},
		{`taskrouter.currentHour >= 0`, nil, false}, // no Vars.Now: time values are NULL, never the wall clock
	}
}

func TestEvalVectors(t *testing.T) {
	for _, v := range vectors(t) {
		t.Run(v.src, func(t *testing.T) {
			e, err := Parse(v.src)
			if err != nil {
				t.Fatalf("Parse(%q): %v", v.src, err)
			}
			if got := e.Eval(v.vars); got != v.want {
				t.Errorf("Eval(%q) = %v, want %v", v.src, got, v.want)
			}
			if e.String() != v.src {
				t.Errorf("String() = %q, want %q", e.String(), v.src)
			}
		})
	}
}

func TestEvalDoesNotAllocate(t *testing.T) {
	f := newFixtures(t)
	cases := []struct {
		src  string
		vars *Vars
	}{
		{`skills HAS 'support' AND level >= 5`, f.w},
		{`team IN ['gold','silver'] OR team NOT IN ['x']`, f.w},
		{`worker.skills HAS task.required AND worker.sid NOT IN task.rejected`, f.target},
		{`activity_name contains 'Avail' AND sid != null`, f.workerList},
		{`taskrouter.dayOfWeek IN ['Sat','Sun'] AND taskrouter.currentTime > 0800`, f.clock},
		{`workers.available == 0 OR workers.WA123 > 1`, f.counters},
		{`object.array[2] == 'c' AND NOT object.attr == 'x'`, f.a},
		{`taskrouter.currentHour >= 0`, f.none},
	}
	for _, c := range cases {
		e := MustParse(c.src)
		if n := testing.AllocsPerRun(100, func() { e.Eval(c.vars) }); n != 0 {
			t.Errorf("Eval(%q) allocates %v times, want 0", c.src, n)
		}
	}
}

func TestReferences(t *testing.T) {
	e := MustParse(`task.skills HAS 'x' AND (level >= 5 OR object.array[2] == task.skills) AND 1 == 1`)
	got := strings.Join(e.References(), ",")
	if want := "task.skills,level,object.array[2]"; got != want {
		t.Errorf("References() = %s, want %s", got, want)
	}
	e.References()[0] = "mutated"
	if e.References()[0] != "task.skills" {
		t.Error("References() must return a copy")
	}
	if refs := MustParse(`1==1`).References(); len(refs) != 0 {
		t.Errorf("References() of constant expression = %v, want none", refs)
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if _, ok := recover().(*SyntaxError); !ok {
			t.Error("MustParse did not panic with *SyntaxError")
		}
	}()
	MustParse(`level >`)
}

func TestConcurrentEval(t *testing.T) {
	f := newFixtures(t)
	e := MustParse(`skills HAS 'support' AND level >= 5`)
	done := make(chan bool)
	for i := 0; i < 4; i++ {
		go func() {
			ok := true
			for j := 0; j < 1000; j++ {
				ok = ok && e.Eval(f.w)
			}
			done <- ok
		}()
	}
	for i := 0; i < 4; i++ {
		if !<-done {
			t.Error("concurrent Eval returned false")
		}
	}
}

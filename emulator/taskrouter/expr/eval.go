package expr

import (
	"strings"
	"time"
)

// Vars is the evaluation context. Each prefixed namespace applies only when
// its source is set; otherwise the full dotted path is looked up in Default,
// so an attribute literally named "task" or "worker" remains reachable.
type Vars struct {
	// Default resolves unprefixed references: worker attributes for
	// target_workers, task attributes for workflow filters.
	Default map[string]any
	// Task resolves "task." references (workflow target expressions).
	Task map[string]any
	// Worker resolves "worker." references (workflow target expressions).
	Worker map[string]any
	// WorkerInfo supplies the built-in worker fields sid, friendly_name,
	// activity_sid and activity_name: for "worker.<field>" it takes precedence
	// over Worker; for an unprefixed "<field>" it is used only when Default
	// has no non-null value of that name.
	WorkerInfo *WorkerInfo
	// Counters resolves skip_if counters: workers.available,
	// workers.unavailable and workers.WA<activity sid>. A counter absent from
	// a non-nil map reads as 0, so callers need not list every activity.
	Counters map[string]float64
	// Now drives the taskrouter.currentTime/currentHour/currentMin/dayOfWeek
	// clock values, always in UTC. Zero means the wall clock; set it in tests
	// and from the emulator's injectable clock.
	Now time.Time
}

// WorkerInfo holds the worker fields that are not attributes but can still be
// referenced (worker.sid, activity_name, ...).
type WorkerInfo struct {
	SID, FriendlyName, ActivitySID, ActivityName string
}

// emptyVars lets Eval(nil) behave as "everything missing".
var emptyVars Vars

// Eval reports whether the expression holds for v (nil means no variables).
// It does not allocate.
func (e *Expr) Eval(v *Vars) bool {
	if v == nil {
		v = &emptyVars
	}
	return e.root.eval(v)
}

type nodeOp uint8

const (
	nCmp nodeOp = iota
	nAnd
	nOr
	nNot
	nConst
)

type cmpOp uint8

const (
	cmpEq cmpOp = iota + 1
	cmpNe
	cmpLt
	cmpLe
	cmpGt
	cmpGe
	cmpContains
	cmpHas
	cmpIn
	cmpNotIn
	cmpIsNull  // x == null
	cmpNotNull // x != null
)

type node struct {
	op   nodeOp
	l, r *node
	cmp  cmpOp
	a, b operand
	val  bool // nConst
}

// operand is a constant (isLit) or a compiled reference.
type operand struct {
	lit   value
	isLit bool
	ref   *ref
}

func (o operand) isNullLiteral() bool { return o.isLit && o.lit.kind == kNull }

func (o *operand) resolve(v *Vars) value {
	if o.ref == nil {
		return o.lit
	}
	return o.ref.resolve(v)
}

func (n *node) eval(v *Vars) bool {
	switch n.op {
	case nAnd:
		return n.l.eval(v) && n.r.eval(v)
	case nOr:
		return n.l.eval(v) || n.r.eval(v)
	case nNot:
		// Plain two-valued negation: NOT (missing == 'x') is true.
		return !n.l.eval(v)
	case nConst:
		return n.val
	}
	a := n.a.resolve(v)
	switch n.cmp {
	case cmpIsNull:
		return a.kind == kNull
	case cmpNotNull:
		return a.kind != kNull
	}
	return compare(n.cmp, a, n.b.resolve(v))
}

// compare applies a binary operator. NULL on either side is false for every
// operator, including != and NOT IN (unconfirmed for those two; the doc
// recommends the SQL-like choice).
func compare(op cmpOp, a, b value) bool {
	if a.kind == kNull || b.kind == kNull {
		return false
	}
	switch op {
	case cmpEq:
		eq, ok := scalarEqual(a, b)
		return ok && eq
	case cmpNe:
		eq, ok := scalarEqual(a, b)
		return ok && !eq
	case cmpLt:
		c, ok := order(a, b)
		return ok && c < 0
	case cmpLe:
		c, ok := order(a, b)
		return ok && c <= 0
	case cmpGt:
		c, ok := order(a, b)
		return ok && c > 0
	case cmpGe:
		c, ok := order(a, b)
		return ok && c >= 0
	case cmpContains:
		return a.kind == kString && b.kind == kString && strings.Contains(a.str, b.str)
	case cmpHas:
		return a.kind == kArray && b.scalar() && member(a, b)
	case cmpIn:
		return a.scalar() && b.kind == kArray && member(b, a)
	case cmpNotIn:
		return a.scalar() && b.kind == kArray && !member(b, a)
	}
	return false
}

// scope says which namespace a reference's first segment selects.
type scope uint8

const (
	scopeDefault scope = iota
	scopeTask          // task.<path>
	scopeWorker        // worker.<path>
	scopeClock         // taskrouter.currentTime etc.
	scopeCounter       // workers.available etc.
)

type builtin uint8

const (
	builtinNone builtin = iota
	builtinSID
	builtinFriendlyName
	builtinActivitySID
	builtinActivityName
)

func lookupBuiltin(name string) builtin {
	switch name {
	case "sid":
		return builtinSID
	case "friendly_name":
		return builtinFriendlyName
	case "activity_sid":
		return builtinActivitySID
	case "activity_name":
		return builtinActivityName
	}
	return builtinNone
}

func (b builtin) get(w *WorkerInfo) value {
	switch b {
	case builtinSID:
		return stringValue(w.SID)
	case builtinFriendlyName:
		return stringValue(w.FriendlyName)
	case builtinActivitySID:
		return stringValue(w.ActivitySID)
	case builtinActivityName:
		return stringValue(w.ActivityName)
	}
	return null
}

type clock uint8

const (
	clockNone clock = iota
	clockTime       // HHMM as a number
	clockHour       // hour as a number
	clockMin        // minute as a number
	clockDay        // "Mon".."Sun"
)

func lookupClock(name string) clock {
	switch name {
	case "currentTime":
		return clockTime
	case "currentHour":
		return clockHour
	case "currentMin":
		return clockMin
	case "dayOfWeek":
		return clockDay
	}
	return clockNone
}

// get reads the clock in UTC. currentHour and currentMin are numbers (the
// doc's "HH" is unconfirmed as a type) so they compare with numeric literals.
// Time always comes from the caller (the emulator's virtual clock); a zero
// Vars.Now means no time was given and the taskrouter.* values are NULL.
func (c clock) get(now time.Time) value {
	if now.IsZero() {
		return null
	}
	now = now.UTC()
	switch c {
	case clockTime:
		return numberValue(float64(now.Hour()*100 + now.Minute()))
	case clockHour:
		return numberValue(float64(now.Hour()))
	case clockMin:
		return numberValue(float64(now.Minute()))
	case clockDay:
		return stringValue(now.Weekday().String()[:3])
	}
	return null
}

// ref is a reference compiled at parse time.
type ref struct {
	path    string    // canonical dotted form, for References
	segs    []segment // full path
	scope   scope
	builtin builtin // worker built-in named by a single segment or worker.<name>
	clock   clock
	counter string
}

func (r *ref) resolve(v *Vars) value {
	switch r.scope {
	case scopeTask:
		if v.Task != nil {
			return lookup(v.Task, r.segs[1:])
		}
	case scopeWorker:
		if r.builtin != builtinNone && v.WorkerInfo != nil {
			return r.builtin.get(v.WorkerInfo)
		}
		if v.Worker != nil {
			return lookup(v.Worker, r.segs[1:])
		}
	case scopeClock:
		return r.clock.get(v.Now)
	case scopeCounter:
		if v.Counters != nil {
			return numberValue(v.Counters[r.counter])
		}
	}
	x := lookup(v.Default, r.segs)
	if x.kind == kNull && r.scope == scopeDefault && r.builtin != builtinNone && v.WorkerInfo != nil {
		return r.builtin.get(v.WorkerInfo)
	}
	return x
}

// lookup walks segs through nested objects and arrays; any miss is NULL.
func lookup(m map[string]any, segs []segment) value {
	var cur any = m
	for i, s := range segs {
		if s.index >= 0 {
			switch a := cur.(type) {
			case []any:
				if s.index >= len(a) {
					return null
				}
				cur = a[s.index]
			case []string:
				// Return directly: storing the string in cur would box it.
				if s.index >= len(a) || i != len(segs)-1 {
					return null
				}
				return stringValue(a[s.index])
			default:
				return null
			}
			continue
		}
		obj, ok := cur.(map[string]any)
		if !ok {
			return null
		}
		if cur, ok = obj[s.name]; !ok {
			return null
		}
	}
	return fromAny(cur)
}

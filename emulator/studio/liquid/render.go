package liquid

import (
	"fmt"
	"strings"
	"time"
)

// Limits that keep a hostile template from running away.
const (
	maxIterations = 10000   // for-loop iterations (and range size) per render
	maxBytes      = 8 << 20 // bytes of output and filter results per render
)

type interrupt uint8

const (
	interruptNone interrupt = iota
	interruptBreak
	interruptContinue
)

// renderer is the per-call state of Render; the Template itself is never
// mutated.
type renderer struct {
	ctx        map[string]any
	now        time.Time
	assigns    map[string]any   // assign and capture
	scopes     []map[string]any // for-loop frames, innermost last
	iterations int
	bytes      int
	interrupt  interrupt
}

// lookup resolves a root variable: loop variables, then assigns, then ctx.
func (r *renderer) lookup(name string) any {
	for i := len(r.scopes) - 1; i >= 0; i-- {
		if v, ok := r.scopes[i][name]; ok {
			return v
		}
	}
	if v, ok := r.assigns[name]; ok {
		return v
	}
	return r.ctx[name]
}

// errBudget reports a render that produced more than maxBytes.
var errBudget = fmt.Errorf("liquid: render exceeds %d bytes", maxBytes)

// spend charges n produced bytes against maxBytes.
func (r *renderer) spend(n int) error {
	r.bytes += n
	if r.bytes > maxBytes {
		return errBudget
	}
	return nil
}

// reserve fails if producing n more bytes would exceed maxBytes.
func (r *renderer) reserve(n int64) error {
	if int64(r.bytes)+n > maxBytes {
		return errBudget
	}
	return nil
}

// clock is the date filter's "now": the time given to RenderAt (the
// emulator's virtual clock). Without one, "now" is unknown and the date
// filter passes its input through, rather than reading the wall clock.
func (r *renderer) clock() (time.Time, bool) {
	if r.now.IsZero() {
		return time.Time{}, false
	}
	return r.now.UTC(), true
}

func (r *renderer) renderNodes(b *strings.Builder, nodes []node) error {
	for _, n := range nodes {
		if err := n.render(r, b); err != nil {
			return err
		}
		if r.interrupt != interruptNone {
			return nil
		}
	}
	return nil
}

// node is one element of a parsed template.
type node interface {
	render(r *renderer, b *strings.Builder) error
}

type textNode string

func (n textNode) render(r *renderer, b *strings.Builder) error {
	if err := r.spend(len(n)); err != nil {
		return err
	}
	b.WriteString(string(n))
	return nil
}

// outputNode is {{ value | filters }}.
type outputNode struct{ value *filtered }

func (n *outputNode) render(r *renderer, b *strings.Builder) error {
	v, err := n.value.eval(r)
	if err != nil {
		return err
	}
	s := toString(v)
	if err := r.spend(len(s)); err != nil {
		return err
	}
	b.WriteString(s)
	return nil
}

// ifNode is if/unless with its elsif and else branches.
type ifNode struct {
	branches []ifBranch
	elseBody []node
}

type ifBranch struct {
	cond   *condition
	negate bool // the unless branch
	body   []node
}

func (n *ifNode) render(r *renderer, b *strings.Builder) error {
	for i := range n.branches {
		br := &n.branches[i]
		ok, err := br.cond.eval(r)
		if err != nil {
			return err
		}
		if ok != br.negate {
			return r.renderNodes(b, br.body)
		}
	}
	return r.renderNodes(b, n.elseBody)
}

// forNode is for … in … with limit, offset, reversed and an else branch.
type forNode struct {
	name          string
	coll          expr
	limit, offset expr
	reversed      bool
	body          []node
	elseBody      []node
}

func (n *forNode) render(r *renderer, b *strings.Builder) error {
	cv, err := n.coll.eval(r)
	if err != nil {
		return err
	}
	list := loopItems(cv)
	if n.offset != nil {
		ov, err := n.offset.eval(r)
		if err != nil {
			return err
		}
		if o := toInt(ov); o >= len(list) {
			list = nil
		} else if o > 0 {
			list = list[o:]
		}
	}
	if n.limit != nil {
		lv, err := n.limit.eval(r)
		if err != nil {
			return err
		}
		if l := max(toInt(lv), 0); l < len(list) {
			list = list[:l]
		}
	}
	if n.reversed {
		rev := make([]any, len(list))
		for i, v := range list {
			rev[len(list)-1-i] = v
		}
		list = rev
	}
	if len(list) == 0 {
		return r.renderNodes(b, n.elseBody)
	}
	loop := map[string]any{"length": len(list)}
	frame := map[string]any{"forloop": loop}
	r.scopes = append(r.scopes, frame)
	defer func() { r.scopes = r.scopes[:len(r.scopes)-1] }()
	for i, item := range list {
		if r.iterations++; r.iterations > maxIterations {
			return fmt.Errorf("liquid: more than %d loop iterations", maxIterations)
		}
		frame[n.name] = item
		loop["index"], loop["index0"] = i+1, i
		loop["rindex"], loop["rindex0"] = len(list)-i, len(list)-i-1
		loop["first"], loop["last"] = i == 0, i == len(list)-1
		if err := r.renderNodes(b, n.body); err != nil {
			return err
		}
		stop := r.interrupt == interruptBreak
		r.interrupt = interruptNone
		if stop {
			break
		}
	}
	return nil
}

// loopItems is what for iterates: a list, a map's [key, value] pairs in key
// order, a non-empty string once; nothing for anything else.
func loopItems(v any) []any {
	if l, ok := asList(v); ok {
		return l
	}
	if s, ok := v.(string); ok {
		if s == "" {
			return nil
		}
		return []any{s}
	}
	pairs, _ := mapPairs(v)
	return pairs
}

// assignNode is {% assign name = value | filters %}.
type assignNode struct {
	name  string
	value *filtered
}

func (n *assignNode) render(r *renderer, _ *strings.Builder) error {
	v, err := n.value.eval(r)
	if err != nil {
		return err
	}
	r.assign(n.name, v)
	return nil
}

func (r *renderer) assign(name string, v any) {
	if r.assigns == nil {
		r.assigns = make(map[string]any)
	}
	r.assigns[name] = v
}

// captureNode is {% capture name %}…{% endcapture %}.
type captureNode struct {
	name string
	body []node
}

func (n *captureNode) render(r *renderer, _ *strings.Builder) error {
	var cb strings.Builder
	if err := r.renderNodes(&cb, n.body); err != nil {
		return err
	}
	r.assign(n.name, cb.String())
	return nil
}

// loopControl is {% break %} or {% continue %}.
type loopControl interrupt

func (n loopControl) render(r *renderer, _ *strings.Builder) error {
	r.interrupt = interrupt(n)
	return nil
}

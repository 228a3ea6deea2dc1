package liquid

import (
	"fmt"
	"strconv"
)

// expr is a value expression: a literal, a variable path or a range.
type expr interface {
	eval(r *renderer) (any, error)
}

type literal struct{ v any }

func (l literal) eval(*renderer) (any, error) { return l.v, nil }

// keywords are the literal identifiers of Liquid.
var keywords = map[string]any{
	"true": true, "false": false, "nil": nil, "null": nil,
	"empty": emptyValue{}, "blank": blankValue{},
}

// segment is one step of a path: .key, [0] or [expr].
type segment struct {
	key   string
	index int
	isIdx bool
	dyn   expr
}

// pathExpr is a variable reference such as trigger.conversation.Body or
// widgets.fn.parsed.contacts[0].vid.
type pathExpr struct {
	root string
	segs []segment
}

func (p *pathExpr) eval(r *renderer) (any, error) {
	v := r.lookup(p.root)
	for i := range p.segs {
		if v == nil {
			return nil, nil
		}
		s := &p.segs[i]
		switch {
		case s.dyn != nil:
			k, err := s.dyn.eval(r)
			if err != nil {
				return nil, err
			}
			v = index(v, k)
		case s.isIdx:
			v = indexInt(v, s.index)
		default:
			v = indexKey(v, s.key)
		}
	}
	return v, nil
}

// rangeExpr is (from..to); it evaluates to a list of integers.
type rangeExpr struct{ from, to expr }

func (e *rangeExpr) eval(r *renderer) (any, error) {
	fv, err := e.from.eval(r)
	if err != nil {
		return nil, err
	}
	tv, err := e.to.eval(r)
	if err != nil {
		return nil, err
	}
	lo, hi := toInt(fv), toInt(tv)
	if hi < lo {
		return []any{}, nil
	}
	if uint64(hi)-uint64(lo) >= maxIterations {
		return nil, fmt.Errorf("liquid: range (%d..%d) has more than %d items", lo, hi, maxIterations)
	}
	out := make([]any, 0, hi-lo+1)
	for i := lo; ; i++ {
		out = append(out, i)
		if i == hi {
			break
		}
	}
	return out, nil
}

// filterCall is one "| name: args" step.
type filterCall struct {
	name string
	def  *filterDef
	args []expr
	kw   []kwarg
}

type kwarg struct {
	name  string
	value expr
}

// filtered is a value followed by filters, as in outputs and assign.
type filtered struct {
	base    expr
	filters []filterCall
}

func (f *filtered) eval(r *renderer) (any, error) {
	v, err := f.base.eval(r)
	if err != nil {
		return nil, err
	}
	for i := range f.filters {
		fc := &f.filters[i]
		var args []any
		if len(fc.args) > 0 {
			args = make([]any, len(fc.args))
			for j, a := range fc.args {
				if args[j], err = a.eval(r); err != nil {
					return nil, err
				}
			}
		}
		var kw map[string]any
		if len(fc.kw) > 0 {
			kw = make(map[string]any, len(fc.kw))
			for _, k := range fc.kw {
				if kw[k.name], err = k.value.eval(r); err != nil {
					return nil, err
				}
			}
		}
		if v, err = fc.def.fn(r, v, args, kw); err != nil {
			if err == errBudget {
				return nil, err
			}
			return nil, fmt.Errorf("liquid: %s: %w", fc.name, err)
		}
		if s, ok := v.(string); ok {
			if err := r.spend(len(s)); err != nil {
				return nil, err
			}
		}
	}
	return v, nil
}

// comparison is `left op right`, or just `left` (truthiness) when op is "".
type comparison struct {
	left, right expr
	op          string
}

func (c *comparison) eval(r *renderer) (bool, error) {
	l, err := c.left.eval(r)
	if err != nil || c.op == "" {
		return isTruthy(l), err
	}
	rv, err := c.right.eval(r)
	if err != nil {
		return false, err
	}
	switch c.op {
	case "==":
		return equal(l, rv), nil
	case "!=", "<>":
		return !equal(l, rv), nil
	case "contains":
		return contains(l, rv), nil
	}
	n, ok := compare(l, rv)
	if !ok {
		return false, nil
	}
	switch c.op {
	case "<":
		return n < 0, nil
	case ">":
		return n > 0, nil
	case "<=":
		return n <= 0, nil
	default: // ">="
		return n >= 0, nil
	}
}

// condition is comparisons joined by and/or, evaluated right-associatively
// as Liquid does: `a or b and c` is `a or (b and c)`.
type condition struct {
	comps []comparison
	joins []string // joins[i] joins comps[i] and comps[i+1]
}

func (c *condition) eval(r *renderer) (bool, error) {
	for i := range c.comps {
		res, err := c.comps[i].eval(r)
		if err != nil {
			return false, err
		}
		if i == len(c.joins) {
			return res, nil
		}
		if c.joins[i] == "or" && res {
			return true, nil
		}
		if c.joins[i] == "and" && !res {
			return false, nil
		}
	}
	return false, nil
}

// exprParser parses expression tokens.
type exprParser struct {
	toks []etok
	i    int
}

func (p *exprParser) peek() etok { return p.toks[p.i] }

func (p *exprParser) peekAt(n int) etok {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}

func (p *exprParser) next() etok {
	t := p.toks[p.i]
	if t.kind != eEOF {
		p.i++
	}
	return t
}

func (p *exprParser) expect(k ekind, context string) error {
	if t := p.next(); t.kind != k {
		return errAt(t.pos, "expected %s %s, got %v", ekindNames[k], context, t)
	}
	return nil
}

// parseValue parses a literal, a variable path or a range.
func (p *exprParser) parseValue() (expr, error) {
	t := p.next()
	switch t.kind {
	case eString:
		return literal{t.s}, nil
	case eNumber:
		return literal{parseNumberLiteral(t.s)}, nil
	case eLParen:
		from, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		if err := p.expect(eRange, "in range"); err != nil {
			return nil, err
		}
		to, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		if err := p.expect(eRParen, "closing range"); err != nil {
			return nil, err
		}
		return &rangeExpr{from: from, to: to}, nil
	case eIdent:
		if v, ok := keywords[t.s]; ok {
			return literal{v}, nil
		}
		return p.parsePath(t.s)
	}
	return nil, errAt(t.pos, "expected a value, got %v", t)
}

func (p *exprParser) parsePath(root string) (expr, error) {
	path := &pathExpr{root: root}
	for {
		switch p.peek().kind {
		case eDot:
			p.next()
			k := p.next()
			switch k.kind {
			case eIdent:
				path.segs = append(path.segs, segment{key: k.s})
			case eNumber:
				n, err := strconv.Atoi(k.s)
				if err != nil {
					return nil, errAt(k.pos, "bad index %q", k.s)
				}
				path.segs = append(path.segs, segment{index: n, isIdx: true})
			default:
				return nil, errAt(k.pos, `expected a name after ".", got %v`, k)
			}
		case eLBrack:
			p.next()
			v, err := p.parseValue()
			if err != nil {
				return nil, err
			}
			if err := p.expect(eRBrack, "after index"); err != nil {
				return nil, err
			}
			seg := segment{dyn: v}
			if lit, ok := v.(literal); ok {
				if n, ok := lit.v.(int); ok {
					seg = segment{index: n, isIdx: true}
				} else {
					seg = segment{key: toString(lit.v)}
				}
			}
			path.segs = append(path.segs, seg)
		default:
			return path, nil
		}
	}
}

// parseFiltered parses `value | filter: arg, key: arg | …` up to the end of
// the markup.
func (p *exprParser) parseFiltered() (*filtered, error) {
	base, err := p.parseValue()
	if err != nil {
		return nil, err
	}
	f := &filtered{base: base}
	for p.peek().kind == ePipe {
		p.next()
		nt := p.next()
		if nt.kind != eIdent {
			return nil, errAt(nt.pos, `expected a filter name after "|", got %v`, nt)
		}
		def, ok := filters[nt.s]
		if !ok {
			return nil, errAt(nt.pos, "unknown filter %q", nt.s)
		}
		fc := filterCall{name: nt.s, def: def}
		if p.peek().kind == eColon {
			p.next()
			for {
				if p.peek().kind == eIdent && p.peekAt(1).kind == eColon {
					k := p.next()
					p.next()
					if !def.allowsKw(k.s) {
						return nil, errAt(k.pos, "filter %q has no option %q", nt.s, k.s)
					}
					v, err := p.parseValue()
					if err != nil {
						return nil, err
					}
					fc.kw = append(fc.kw, kwarg{name: k.s, value: v})
				} else {
					v, err := p.parseValue()
					if err != nil {
						return nil, err
					}
					fc.args = append(fc.args, v)
				}
				if p.peek().kind != eComma {
					break
				}
				p.next()
			}
		}
		if n := len(fc.args); n < def.min || n > def.max {
			return nil, errAt(nt.pos, "filter %q expects %s, got %d", nt.s, def.arity(), n)
		}
		f.filters = append(f.filters, fc)
	}
	if t := p.peek(); t.kind != eEOF {
		return nil, errAt(t.pos, "unexpected %v", t)
	}
	return f, nil
}

// parseFilteredMarkup parses the markup of {{ … }} found at offset pos.
func parseFilteredMarkup(markup string, pos int) (*filtered, error) {
	toks, err := lexExpr(markup, pos)
	if err != nil {
		return nil, err
	}
	return (&exprParser{toks: toks}).parseFiltered()
}

// parseCondition parses the markup of if/elsif/unless found at offset pos.
func parseCondition(markup string, pos int) (*condition, error) {
	toks, err := lexExpr(markup, pos)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	if p.peek().kind == eEOF {
		return nil, errAt(pos, "missing condition")
	}
	c := &condition{}
	for {
		left, err := p.parseValue()
		if err != nil {
			return nil, err
		}
		cmp := comparison{left: left}
		if t := p.peek(); t.kind == eCmp || (t.kind == eIdent && t.s == "contains") {
			p.next()
			cmp.op = t.s
			if cmp.right, err = p.parseValue(); err != nil {
				return nil, err
			}
		}
		c.comps = append(c.comps, cmp)
		t := p.next()
		if t.kind == eIdent && (t.s == "and" || t.s == "or") {
			c.joins = append(c.joins, t.s)
			continue
		}
		if t.kind != eEOF {
			return nil, errAt(t.pos, "unexpected %v in condition", t)
		}
		return c, nil
	}
}

// parseNumberLiteral returns an int, or a decimal for "1.5" and integers too
// large for int.
func parseNumberLiteral(s string) any {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	f, _ := strconv.ParseFloat(s, 64)
	return decimal(f)
}

package expr

import (
	"strconv"
	"strings"
)

// maxDepth bounds nesting of parentheses and NOT so hostile input cannot
// exhaust the stack.
const maxDepth = 100

type parser struct {
	src   string
	toks  []token
	i     int
	depth int
	refs  []string
	seen  map[string]bool
}

func newParser(src string) (*parser, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	return &parser{src: src, toks: toks, seen: map[string]bool{}}, nil
}

func (p *parser) peek() *token { return &p.toks[p.i] }

func (p *parser) next() *token {
	t := &p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) errAt(t *token, msg string) error {
	return newSyntaxError(t.pos, t.text, msg)
}

func (p *parser) parse() (*node, error) {
	if p.peek().kind == tEOF {
		return nil, p.errAt(p.peek(), msgEmpty)
	}
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		if t.kind == tRParen {
			return nil, p.errAt(t, msgUnmatchedClose)
		}
		return nil, p.errAt(t, msgExpectLogical)
	}
	return n, nil
}

func isLogical(t *token, kw keyword, sym symOp) bool {
	return (t.kind == tWord && t.kw == kw) || (t.kind == tOp && t.op == sym)
}

func (p *parser) parseOr() (*node, error) {
	l, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for isLogical(p.peek(), kwOr, symOr) {
		p.next()
		r, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l = &node{op: nOr, l: l, r: r}
	}
	return l, nil
}

// parseAnd binds tighter than parseOr (SQL convention; unconfirmed for
// TaskRouter, whose documented examples always parenthesise mixed AND/OR).
func (p *parser) parseAnd() (*node, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	for isLogical(p.peek(), kwAnd, symAnd) {
		p.next()
		r, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		l = &node{op: nAnd, l: l, r: r}
	}
	return l, nil
}

// parseUnary handles NOT and parentheses. Unary NOT is undocumented
// (unconfirmed); it is accepted leniently as plain boolean negation.
func (p *parser) parseUnary() (*node, error) {
	t := p.peek()
	switch {
	case t.kind == tWord && t.kw == kwNot:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		p.depth--
		return &node{op: nNot, l: x}, nil
	case t.kind == tLParen:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		p.next()
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c.kind != tRParen {
			return nil, p.errAt(c, msgExpectClose)
		}
		p.next()
		p.depth--
		return x, nil
	}
	return p.parseComparison()
}

func (p *parser) enter(t *token) error {
	p.depth++
	if p.depth > maxDepth {
		return p.errAt(t, msgTooDeep)
	}
	return nil
}

// parseComparison parses operand op operand. A lone operand, including a
// bare true/false, is rejected: every documented expression is a comparison
// and the canonical constant expressions are 1==1 and 1==2.
func (p *parser) parseComparison() (*node, error) {
	a, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	op, err := p.parseOperator()
	if err != nil {
		return nil, err
	}
	b, err := p.parseOperand()
	if err != nil {
		return nil, err
	}
	// Comparing with the null literal is an existence test, the documented
	// idiom being "preferred_agents != null".
	if op == cmpEq || op == cmpNe {
		an, bn := a.isNullLiteral(), b.isNullLiteral()
		switch {
		case an && bn:
			return &node{op: nConst, val: op == cmpEq}, nil
		case an || bn:
			if an {
				a = b
			}
			if op == cmpEq {
				return &node{op: nCmp, cmp: cmpIsNull, a: a}, nil
			}
			return &node{op: nCmp, cmp: cmpNotNull, a: a}, nil
		}
	}
	return &node{op: nCmp, cmp: op, a: a, b: b}, nil
}

func (p *parser) parseOperator() (cmpOp, error) {
	t := p.peek()
	switch t.kind {
	case tOp:
		var op cmpOp
		switch t.op {
		case symEq:
			op = cmpEq
		case symNe:
			op = cmpNe
		case symLt:
			op = cmpLt
		case symLe:
			op = cmpLe
		case symGt:
			op = cmpGt
		case symGe:
			op = cmpGe
		case symHas:
			op = cmpHas
		case symIn:
			op = cmpIn
		default:
			return 0, p.errAt(t, msgExpectOperator)
		}
		p.next()
		return op, nil
	case tWord:
		switch t.kw {
		case kwHas:
			p.next()
			return cmpHas, nil
		case kwIn:
			p.next()
			return cmpIn, nil
		case kwContains:
			p.next()
			return cmpContains, nil
		case kwNot:
			p.next()
			if n := p.peek(); n.kind != tWord || n.kw != kwIn {
				return 0, p.errAt(n, msgExpectIn)
			}
			p.next()
			return cmpNotIn, nil
		}
	}
	return 0, p.errAt(t, msgExpectOperator)
}

func (p *parser) parseOperand() (operand, error) {
	t := p.peek()
	switch t.kind {
	case tRef:
		p.next()
		return operand{ref: p.compileRef(t.segs)}, nil
	case tLBrack:
		return p.parseList()
	}
	v, ok := constant(t)
	if !ok {
		return operand{}, p.errAt(t, msgExpectValue)
	}
	p.next()
	return operand{lit: v, isLit: true}, nil
}

// constant converts a string, number or true/false/null token.
func constant(t *token) (value, bool) {
	switch t.kind {
	case tString:
		return stringValue(t.str), true
	case tNumber:
		return numberValue(t.num), true
	case tWord:
		switch t.kw {
		case kwTrue:
			return value{kind: kBool, b: true}, true
		case kwFalse:
			return value{kind: kBool}, true
		case kwNull:
			return null, true
		}
	}
	return value{}, false
}

// parseList parses a list of constants; references inside lists are not
// part of the documented grammar.
func (p *parser) parseList() (operand, error) {
	p.next() // [
	list := []value{}
	if p.peek().kind == tRBrack {
		p.next()
		return operand{lit: value{kind: kArray, raw: list}, isLit: true}, nil
	}
	for {
		t := p.peek()
		v, ok := constant(t)
		if !ok {
			return operand{}, p.errAt(t, msgListElem)
		}
		p.next()
		list = append(list, v)
		switch s := p.next(); s.kind {
		case tComma:
			continue
		case tRBrack:
			return operand{lit: value{kind: kArray, raw: list}, isLit: true}, nil
		default:
			return operand{}, p.errAt(s, msgListSep)
		}
	}
}

// compileRef classifies a reference once so Eval only switches on scope.
func (p *parser) compileRef(segs []segment) *ref {
	r := &ref{segs: segs, path: canonicalPath(segs)}
	if !p.seen[r.path] {
		p.seen[r.path] = true
		p.refs = append(p.refs, r.path)
	}
	first := segs[0].name
	second := ""
	if len(segs) > 1 {
		second = segs[1].name // "" for an index segment
	}
	switch {
	case len(segs) == 1:
		r.builtin = lookupBuiltin(first)
	case first == "task":
		r.scope = scopeTask
	case first == "worker":
		r.scope = scopeWorker
		if len(segs) == 2 {
			r.builtin = lookupBuiltin(second)
		}
	case first == "taskrouter" && len(segs) == 2 && lookupClock(second) != clockNone:
		r.scope = scopeClock
		r.clock = lookupClock(second)
	case first == "workers" && len(segs) == 2 &&
		(second == "available" || second == "unavailable" || strings.HasPrefix(second, "WA")):
		r.scope = scopeCounter
		r.counter = second
	}
	return r
}

func canonicalPath(segs []segment) string {
	var b strings.Builder
	for i, s := range segs {
		if s.index >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.index))
			b.WriteByte(']')
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.name)
	}
	return b.String()
}

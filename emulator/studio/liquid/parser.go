package liquid

import "strings"

// maxDepth bounds block nesting so hostile templates cannot exhaust the stack.
const maxDepth = 64

// parser builds the node tree from template tokens.
type parser struct {
	toks  []token
	i     int
	depth int
}

// parseNodes parses nodes until a tag named in ends (returned with its token)
// or the end of input. open is the tag that started the enclosing block, nil
// at top level; the last of ends names its closing tag for the error.
func (p *parser) parseNodes(open *token, openName string, ends ...string) ([]node, string, *token, error) {
	var nodes []node
	for p.i < len(p.toks) {
		t := &p.toks[p.i]
		p.i++
		switch t.kind {
		case tokText, tokRaw:
			if t.text != "" {
				nodes = append(nodes, textNode(t.text))
			}
		case tokOutput:
			if strings.Trim(t.text, whitespace) == "" {
				continue
			}
			f, err := parseFilteredMarkup(t.text, t.markupPos)
			if err != nil {
				return nil, "", nil, err
			}
			nodes = append(nodes, &outputNode{f})
		case tokTag:
			name, rest, restPos := splitTag(t.text, t.markupPos)
			for _, e := range ends {
				if name == e {
					return nodes, name, t, nil
				}
			}
			n, err := p.parseTag(t, name, rest, restPos)
			if err != nil {
				return nil, "", nil, err
			}
			nodes = append(nodes, n)
		}
	}
	if open != nil {
		return nil, "", nil, errAt(open.pos, "%q tag not closed (missing {%% %s %%})", openName, ends[len(ends)-1])
	}
	return nodes, "", nil, nil
}

func (p *parser) parseTag(t *token, name, rest string, restPos int) (node, error) {
	switch name {
	case "if", "unless", "for", "capture":
		if p.depth >= maxDepth {
			return nil, errAt(t.pos, "tags nested deeper than %d", maxDepth)
		}
		p.depth++
		defer func() { p.depth-- }()
	}
	switch name {
	case "if", "unless":
		return p.parseIf(t, name, rest, restPos)
	case "for":
		return p.parseFor(t, rest, restPos)
	case "capture":
		return p.parseCapture(t, rest, restPos)
	case "assign":
		return parseAssign(rest, restPos)
	case "break", "continue":
		if rest != "" {
			return nil, errAt(restPos, "unexpected %q after %s", rest, name)
		}
		if name == "break" {
			return loopControl(interruptBreak), nil
		}
		return loopControl(interruptContinue), nil
	case "":
		return nil, errAt(t.pos, "empty tag")
	case "elsif", "else", "endif", "endunless", "endfor", "endcapture", "endraw", "endcomment":
		return nil, errAt(t.pos, "unexpected {%% %s %%}", name)
	}
	return nil, errAt(t.pos, "unknown tag %q", name)
}

// parseIf parses if/unless … elsif … else … endif/endunless.
func (p *parser) parseIf(t *token, name, rest string, restPos int) (node, error) {
	end := "end" + name
	n := &ifNode{}
	cond, err := parseCondition(rest, restPos)
	if err != nil {
		return nil, err
	}
	negate := name == "unless"
	for {
		body, got, gt, err := p.parseNodes(t, name, "elsif", "else", end)
		if err != nil {
			return nil, err
		}
		n.branches = append(n.branches, ifBranch{cond: cond, negate: negate, body: body})
		switch got {
		case "elsif":
			_, r, rp := splitTag(gt.text, gt.markupPos)
			if cond, err = parseCondition(r, rp); err != nil {
				return nil, err
			}
			negate = false
		case "else":
			if n.elseBody, _, _, err = p.parseNodes(t, name, end); err != nil {
				return nil, err
			}
			return n, nil
		default:
			return n, nil
		}
	}
}

// parseFor parses `for x in collection [limit: n] [offset: n] [reversed]`.
func (p *parser) parseFor(t *token, rest string, restPos int) (node, error) {
	toks, err := lexExpr(rest, restPos)
	if err != nil {
		return nil, err
	}
	ep := &exprParser{toks: toks}
	v := ep.next()
	if v.kind != eIdent {
		return nil, errAt(v.pos, "expected a loop variable in for, got %v", v)
	}
	if in := ep.next(); in.kind != eIdent || in.s != "in" {
		return nil, errAt(in.pos, `expected "in" in for, got %v`, in)
	}
	n := &forNode{name: v.s}
	if n.coll, err = ep.parseValue(); err != nil {
		return nil, err
	}
	for ep.peek().kind != eEOF {
		a := ep.next()
		switch {
		case a.kind == eIdent && a.s == "reversed":
			n.reversed = true
		case a.kind == eIdent && (a.s == "limit" || a.s == "offset"):
			if c := ep.next(); c.kind != eColon {
				return nil, errAt(c.pos, `expected ":" after %s, got %v`, a.s, c)
			}
			val, err := ep.parseValue()
			if err != nil {
				return nil, err
			}
			if a.s == "limit" {
				n.limit = val
			} else {
				n.offset = val
			}
		default:
			return nil, errAt(a.pos, "unexpected %v in for", a)
		}
		if ep.peek().kind == eComma {
			ep.next()
		}
	}
	body, got, _, err := p.parseNodes(t, "for", "else", "endfor")
	if err != nil {
		return nil, err
	}
	n.body = body
	if got == "else" {
		if n.elseBody, _, _, err = p.parseNodes(t, "for", "endfor"); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// parseCapture parses `capture name` … endcapture.
func (p *parser) parseCapture(t *token, rest string, restPos int) (node, error) {
	toks, err := lexExpr(rest, restPos)
	if err != nil {
		return nil, err
	}
	if toks[0].kind != eIdent && toks[0].kind != eString || toks[1].kind != eEOF {
		return nil, errAt(toks[0].pos, "capture expects one variable name")
	}
	body, _, _, err := p.parseNodes(t, "capture", "endcapture")
	if err != nil {
		return nil, err
	}
	return &captureNode{name: toks[0].s, body: body}, nil
}

// parseAssign parses `assign name = value | filter …`.
func parseAssign(rest string, restPos int) (node, error) {
	toks, err := lexExpr(rest, restPos)
	if err != nil {
		return nil, err
	}
	ep := &exprParser{toks: toks}
	v := ep.next()
	if v.kind != eIdent {
		return nil, errAt(v.pos, "expected a variable name in assign, got %v", v)
	}
	if eq := ep.next(); eq.kind != eAssign {
		return nil, errAt(eq.pos, `expected "=" in assign, got %v`, eq)
	}
	f, err := ep.parseFiltered()
	if err != nil {
		return nil, err
	}
	return &assignNode{name: v.s, value: f}, nil
}

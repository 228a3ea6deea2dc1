package liquid

import (
	"strings"
	"unicode/utf8"
)

// Template-level tokens: text, {{ output }}, {% tag %}.

type tokenKind uint8

const (
	tokText    tokenKind = iota
	tokRaw               // body of {% raw %}…{% endraw %}: literal, never trimmed
	tokOutput            // {{ … }}
	tokTag               // {% … %}
	tokComment           // {% comment %}…{% endcomment %} or {% # … %}: renders nothing
)

type token struct {
	kind      tokenKind
	text      string // the text, or the markup between the delimiters without '-' markers
	pos       int    // offset of the token in the source
	markupPos int    // offset of text in the source
	trimLeft  bool   // "{{-" / "{%-": strip whitespace before the token
	trimRight bool   // "-}}" / "-%}": strip whitespace after the token
}

// whitespace is what {{- and -}} strip (Ruby's \s).
const whitespace = " \t\n\r\v\f"

// lex splits src into tokens and applies whitespace control.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		j := nextOpen(src, i)
		if j < 0 {
			toks = append(toks, token{kind: tokText, text: src[i:], pos: i})
			break
		}
		if j > i {
			toks = append(toks, token{kind: tokText, text: src[i:j], pos: i})
		}
		tok, end, err := lexMarkup(src, j)
		if err != nil {
			return nil, err
		}
		i = end
		if tok.kind == tokTag {
			name, _, _ := splitTag(tok.text, tok.markupPos)
			switch {
			case name == "raw" || name == "comment":
				bodyEnd, closeTok, after, ok := findBlockEnd(src, end, name, name == "comment")
				if !ok {
					return nil, errAt(tok.pos, "%q tag not closed (missing {%% end%s %%})", name, name)
				}
				tok.kind, tok.text = tokRaw, src[end:bodyEnd]
				if name == "comment" {
					tok.kind, tok.text = tokComment, ""
				}
				tok.trimRight = closeTok.trimRight
				i = after
			case strings.HasPrefix(name, "#"):
				tok.kind = tokComment
			}
		}
		toks = append(toks, tok)
	}
	for k := range toks {
		t := &toks[k]
		if t.kind == tokText {
			continue
		}
		if t.trimLeft && k > 0 && toks[k-1].kind == tokText {
			toks[k-1].text = strings.TrimRight(toks[k-1].text, whitespace)
		}
		if t.trimRight && k+1 < len(toks) && toks[k+1].kind == tokText {
			toks[k+1].text = strings.TrimLeft(toks[k+1].text, whitespace)
		}
	}
	return toks, nil
}

// nextOpen returns the offset of the next "{{" or "{%" at or after i, or -1.
func nextOpen(src string, i int) int {
	for {
		k := strings.IndexByte(src[i:], '{')
		if k < 0 || i+k+1 >= len(src) {
			return -1
		}
		i += k
		if c := src[i+1]; c == '{' || c == '%' {
			return i
		}
		i++
	}
}

// lexMarkup reads the "{{…}}" or "{%…%}" starting at j. Like Ruby Liquid, the
// first closing delimiter ends the markup (quotes are not considered).
func lexMarkup(src string, j int) (token, int, error) {
	kind, closer, opener := tokOutput, "}}", "{{"
	if src[j+1] == '%' {
		kind, closer, opener = tokTag, "%}", "{%"
	}
	k := strings.Index(src[j+2:], closer)
	if k < 0 {
		return token{}, 0, errAt(j, "unclosed %q", opener)
	}
	tok := token{kind: kind, pos: j, markupPos: j + 2, text: src[j+2 : j+2+k]}
	if strings.HasPrefix(tok.text, "-") {
		tok.trimLeft = true
		tok.text = tok.text[1:]
		tok.markupPos++
	}
	if strings.HasSuffix(tok.text, "-") {
		tok.trimRight = true
		tok.text = tok.text[:len(tok.text)-1]
	}
	return tok, j + 2 + k + 2, nil
}

// findBlockEnd finds the {% endNAME %} closing a raw or comment block whose
// body starts at from. Comments nest; raw bodies do not.
func findBlockEnd(src string, from int, name string, nest bool) (bodyEnd int, closeTok token, after int, ok bool) {
	depth := 0
	for i := from; ; {
		k := strings.Index(src[i:], "{%")
		if k < 0 {
			return 0, token{}, 0, false
		}
		tok, end, err := lexMarkup(src, i+k)
		if err != nil {
			return 0, token{}, 0, false
		}
		switch tag, _, _ := splitTag(tok.text, tok.markupPos); {
		case tag == "end"+name && depth == 0:
			return i + k, tok, end, true
		case tag == "end"+name:
			depth--
		case nest && tag == name:
			depth++
		}
		i += k + 2 // a stray "{%" in the body must not hide the end tag
	}
}

// splitTag splits tag markup into its name and the rest (trimmed), with the
// rest's offset in the source.
func splitTag(markup string, pos int) (name, rest string, restPos int) {
	t := strings.TrimLeft(markup, whitespace)
	pos += len(markup) - len(t)
	if strings.HasPrefix(t, "#") {
		return "#", t[1:], pos + 1
	}
	n := strings.IndexAny(t, whitespace)
	if n < 0 {
		return t, "", pos + len(t)
	}
	name = t[:n]
	r := strings.TrimLeft(t[n:], whitespace)
	restPos = pos + len(t) - len(r)
	return name, strings.TrimRight(r, whitespace), restPos
}

// Expression-level tokens, inside {{ }} and tag markup.

type ekind uint8

const (
	eEOF ekind = iota
	eIdent
	eString
	eNumber
	eDot
	eLBrack
	eRBrack
	ePipe
	eColon
	eComma
	eCmp
	eLParen
	eRParen
	eRange
	eAssign
)

var ekindNames = [...]string{
	eEOF: "end of markup", eIdent: "identifier", eString: "string", eNumber: "number",
	eDot: `"."`, eLBrack: `"["`, eRBrack: `"]"`, ePipe: `"|"`, eColon: `":"`, eComma: `","`,
	eCmp: "comparison", eLParen: `"("`, eRParen: `")"`, eRange: `".."`, eAssign: `"="`,
}

type etok struct {
	kind ekind
	s    string
	pos  int
}

func (t etok) String() string {
	switch t.kind {
	case eIdent, eNumber, eCmp:
		return `"` + t.s + `"`
	case eString:
		return "string " + quote(t.s)
	}
	return ekindNames[t.kind]
}

func quote(s string) string {
	if len(s) > 20 {
		s = s[:20] + "…"
	}
	return `"` + s + `"`
}

func isDigit(c byte) bool      { return c >= '0' && c <= '9' }
func isIdentStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isIdentChar(c byte) bool  { return isIdentStart(c) || isDigit(c) || c == '-' }

// lexExpr tokenizes markup s found at offset base of the source.
func lexExpr(s string, base int) ([]etok, error) {
	out := make([]etok, 0, 8)
	for i := 0; i < len(s); {
		c := s[i]
		start := i
		kind := eEOF
		switch {
		case strings.IndexByte(whitespace, c) >= 0:
			i++
			continue
		case c == '\'' || c == '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, errAt(base+i, "unterminated string")
			}
			out = append(out, etok{eString, s[i+1 : i+1+j], base + i})
			i += j + 2
			continue
		case isDigit(c) || (c == '-' && i+1 < len(s) && isDigit(s[i+1])):
			i++
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			afterDot := len(out) > 0 && out[len(out)-1].kind == eDot
			if !afterDot && i+1 < len(s) && s[i] == '.' && isDigit(s[i+1]) {
				i++
				for i < len(s) && isDigit(s[i]) {
					i++
				}
			}
			kind = eNumber
		case isIdentStart(c):
			for i < len(s) && isIdentChar(s[i]) {
				i++
			}
			if i < len(s) && s[i] == '?' {
				i++
			}
			kind = eIdent
		case c == '.' && i+1 < len(s) && s[i+1] == '.':
			kind, i = eRange, i+2
		case c == '=' && i+1 < len(s) && s[i+1] == '=',
			c == '!' && i+1 < len(s) && s[i+1] == '=',
			c == '<' && i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '>'),
			c == '>' && i+1 < len(s) && s[i+1] == '=':
			kind, i = eCmp, i+2
		case c == '<' || c == '>':
			kind, i = eCmp, i+1
		default:
			if k := strings.IndexByte(".[]|:,()=", c); k >= 0 {
				kind = [...]ekind{eDot, eLBrack, eRBrack, ePipe, eColon, eComma, eLParen, eRParen, eAssign}[k]
				i++
				break
			}
			r, _ := utf8.DecodeRuneInString(s[i:])
			return nil, errAt(base+i, "unexpected character %q", r)
		}
		out = append(out, etok{kind, s[start:i], base + start})
	}
	return append(out, etok{kind: eEOF, pos: base + len(s)}), nil
}

package expr

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tEOF    tokKind = iota
	tWord           // keyword (AND, OR, NOT, IN, HAS, CONTAINS, TRUE, FALSE, NULL)
	tRef            // reference path, segments in token.segs
	tNumber         // numeric constant, value in token.num
	tString         // string constant, unquoted value in token.str
	tOp             // symbolic operator, kind in token.op
	tLParen         // (
	tRParen         // )
	tLBrack         // [
	tRBrack         // ]
	tComma          // ,
)

// keyword identifies a reserved word; keywords are matched case-insensitively.
type keyword uint8

const (
	kwNone keyword = iota
	kwAnd
	kwOr
	kwNot
	kwIn
	kwHas
	kwContains
	kwTrue
	kwFalse
	kwNull
)

var keywords = [...]struct {
	text string
	kw   keyword
}{
	{"and", kwAnd}, {"or", kwOr}, {"not", kwNot}, {"in", kwIn}, {"has", kwHas},
	{"contains", kwContains}, {"true", kwTrue}, {"false", kwFalse}, {"null", kwNull},
}

func lookupKeyword(s string) keyword {
	for _, k := range keywords {
		if strings.EqualFold(s, k.text) {
			return k.kw
		}
	}
	return kwNone
}

// symOp is a symbolic operator token.
type symOp uint8

const (
	symEq  symOp = iota + 1 // == or =
	symNe                   // !=
	symLt                   // <
	symLe                   // <=
	symGt                   // >
	symGe                   // >=
	symHas                  // >-
	symIn                   // <-
	symAnd                  // &&
	symOr                   // ||
)

type token struct {
	kind tokKind
	pos  int    // byte offset of the first character
	text string // source text
	kw   keyword
	op   symOp
	num  float64
	str  string
	segs []segment
}

// segment is one step of a reference path: a map key, or an array index when
// index >= 0.
type segment struct {
	name  string
	index int
}

func isNameRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lex splits src into tokens, ending with a tEOF token at len(src).
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for {
		for i < len(src) && (src[i] == ' ' || src[i] == '\t' || src[i] == '\n' || src[i] == '\r') {
			i++
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, pos: len(src)}), nil
		}
		tok, n, err := lexOne(src, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, tok)
		i += n
	}
}

// lexOne reads the token starting at src[i] and returns it with its length.
func lexOne(src string, i int) (token, int, error) {
	c := src[i]
	two := ""
	if i+1 < len(src) {
		two = src[i : i+2]
	}
	op := func(o symOp, n int) (token, int, error) {
		return token{kind: tOp, pos: i, text: src[i : i+n], op: o}, n, nil
	}
	simple := func(k tokKind) (token, int, error) {
		return token{kind: k, pos: i, text: src[i : i+1]}, 1, nil
	}
	switch {
	case c == '(':
		return simple(tLParen)
	case c == ')':
		return simple(tRParen)
	case c == '[':
		return simple(tLBrack)
	case c == ']':
		return simple(tRBrack)
	case c == ',':
		return simple(tComma)
	case two == "==":
		return op(symEq, 2)
	case c == '=':
		return op(symEq, 1)
	case two == "!=":
		return op(symNe, 2)
	case two == "<=":
		return op(symLe, 2)
	case two == "<-":
		// Always the IN alias, so "a <-1" is "a IN 1", never "a < -1".
		return op(symIn, 2)
	case c == '<':
		return op(symLt, 1)
	case two == ">=":
		return op(symGe, 2)
	case two == ">-":
		return op(symHas, 2)
	case c == '>':
		return op(symGt, 1)
	case two == "&&":
		return op(symAnd, 2)
	case two == "||":
		return op(symOr, 2)
	case c == '&':
		return token{}, 0, newSyntaxError(i, "&", msgSingleAmp)
	case c == '|':
		return token{}, 0, newSyntaxError(i, "|", msgSinglePipe)
	case c == '\'' || c == '"':
		return lexString(src, i)
	case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
		return lexNumber(src, i)
	}
	r, size := utf8.DecodeRuneInString(src[i:])
	if isNameRune(r) {
		return lexRef(src, i)
	}
	return token{}, 0, newSyntaxError(i, src[i:i+size], msgUnexpectedChar)
}

// lexString reads a quoted constant. Escape rules are undocumented
// (unconfirmed), so there are none: the string ends at the next quote of the
// same kind and a quote of the other kind is literal.
func lexString(src string, i int) (token, int, error) {
	q := src[i]
	end := strings.IndexByte(src[i+1:], q)
	if end < 0 {
		return token{}, 0, newSyntaxError(i, src[i:], msgUnterminated)
	}
	n := end + 2
	return token{kind: tString, pos: i, text: src[i : i+n], str: src[i+1 : i+1+end]}, n, nil
}

// lexNumber reads an optionally negative decimal constant: digits with an
// optional fraction. Leading zeros are accepted ("0800" is 800, as in the
// time-of-day examples).
func lexNumber(src string, i int) (token, int, error) {
	j := i
	if src[j] == '-' {
		j++
	}
	for j < len(src) && isDigit(src[j]) {
		j++
	}
	if j+1 < len(src) && src[j] == '.' && isDigit(src[j+1]) {
		j++
		for j < len(src) && isDigit(src[j]) {
			j++
		}
	}
	if j < len(src) {
		if r, _ := utf8.DecodeRuneInString(src[j:]); r == '.' || isNameRune(r) {
			k := j
			for k < len(src) {
				r, size := utf8.DecodeRuneInString(src[k:])
				if r != '.' && !isNameRune(r) {
					break
				}
				k += size
			}
			return token{}, 0, newSyntaxError(i, src[i:k], msgBadNumber)
		}
	}
	text := src[i:j]
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		return token{}, 0, newSyntaxError(i, text, msgNumberRange)
	}
	return token{kind: tNumber, pos: i, text: text, num: f}, j - i, nil
}

// scanName returns the end of the run of name characters starting at j.
func scanName(src string, j int) int {
	for j < len(src) {
		r, size := utf8.DecodeRuneInString(src[j:])
		if !isNameRune(r) {
			break
		}
		j += size
	}
	return j
}

// lexRef reads a keyword or a reference path such as object.array[2].attr.
// The path is split into segments here so evaluation never re-parses it.
// A keyword as the first name ends the token, so "x IN['a']" lexes as IN
// followed by a list rather than as an index into an attribute named IN.
func lexRef(src string, i int) (token, int, error) {
	j := scanName(src, i)
	first := src[i:j]
	if err := checkHyphen(src, i, j); err != nil {
		return token{}, 0, err
	}
	if kw := lookupKeyword(first); kw != kwNone {
		return token{kind: tWord, pos: i, text: first, kw: kw}, j - i, nil
	}
	segs := []segment{{name: first, index: -1}}
	for j < len(src) {
		switch src[j] {
		case '.':
			k := scanName(src, j+1)
			if k == j+1 {
				return token{}, 0, newSyntaxError(j, src[i:j+1], msgExpectName)
			}
			if err := checkHyphen(src, i, k); err != nil {
				return token{}, 0, err
			}
			segs = append(segs, segment{name: src[j+1 : k], index: -1})
			j = k
			continue
		case '[':
			k := j + 1
			for k < len(src) && isDigit(src[k]) {
				k++
			}
			if k == j+1 || k >= len(src) || src[k] != ']' {
				return token{}, 0, newSyntaxError(j, src[j:min(k+1, len(src))], msgExpectIndex)
			}
			idx, err := strconv.Atoi(src[j+1 : k])
			if err != nil {
				return token{}, 0, newSyntaxError(j, src[j:k+1], msgExpectIndex)
			}
			segs = append(segs, segment{index: idx})
			j = k + 1
			continue
		}
		break
	}
	return token{kind: tRef, pos: i, text: src[i:j], segs: segs}, j - i, nil
}

// checkHyphen rejects a name immediately followed by '-' and more name
// characters ("first-name"): TaskRouter cannot reference such attributes and
// '-' is not an operator, so silently splitting the token would mislead.
func checkHyphen(src string, start, j int) error {
	if j+1 < len(src) && src[j] == '-' {
		if r, _ := utf8.DecodeRuneInString(src[j+1:]); isNameRune(r) {
			return newSyntaxError(start, src[start:scanName(src, j+1)], msgHyphen)
		}
	}
	return nil
}

package expr

import (
	"fmt"
	"unicode/utf8"
)

// SyntaxError reports why an expression failed to compile. Callers turn it
// into the API's 400 response, so it carries the position and offending token
// for a useful message.
type SyntaxError struct {
	Pos   int    // byte offset of the offending token in the source (0-based); len(src) at end of input
	Token string // source text of the offending token; empty at end of input
	Msg   string // what the parser expected or found wrong
}

// Error formats the error like
// `invalid expression at position 7 near "HAS": expected a value`.
func (e *SyntaxError) Error() string {
	if e.Token == "" {
		return fmt.Sprintf("invalid expression at position %d near end of input: %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("invalid expression at position %d near %q: %s", e.Pos, e.Token, e.Msg)
}

// Parser messages, kept in one place so every path reports the same text.
const (
	msgEmpty          = "empty expression"
	msgExpectValue    = "expected a value"
	msgExpectOperator = "expected a comparison operator"
	msgExpectLogical  = "expected AND, OR or end of expression"
	msgUnmatchedClose = "unmatched ')'"
	msgExpectClose    = "expected ')'"
	msgExpectIn       = "expected IN after NOT"
	msgListElem       = "expected a constant in list"
	msgListSep        = "expected ',' or ']'"
	msgTooDeep        = "expression nested too deeply"
	msgUnterminated   = "unterminated string"
	msgUnexpectedChar = "unexpected character"
	msgHyphen         = "hyphens are not supported in attribute names ('-' is not an operator)"
	msgBadNumber      = "malformed number"
	msgNumberRange    = "number out of range"
	msgExpectName     = "expected an attribute name after '.'"
	msgExpectIndex    = "expected an array index like [2]"
	msgSingleAmp      = "unexpected character (use && or AND)"
	msgSinglePipe     = "unexpected character (use || or OR)"
)

// maxTokenLen bounds SyntaxError.Token so a long unterminated string does not
// end up verbatim in an error message.
const maxTokenLen = 32

func newSyntaxError(pos int, tok, msg string) *SyntaxError {
	if len(tok) > maxTokenLen {
		cut := maxTokenLen
		for cut > 0 && !utf8.RuneStart(tok[cut]) {
			cut--
		}
		tok = tok[:cut]
	}
	return &SyntaxError{Pos: pos, Token: tok, Msg: msg}
}

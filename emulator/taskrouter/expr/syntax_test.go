package expr

import (
	"errors"
	"strings"
	"testing"
)

func TestSyntaxErrors(t *testing.T) {
	deep := strings.Repeat("(", maxDepth+1) + "a == 1" + strings.Repeat(")", maxDepth+1)
	tests := []struct {
		src   string
		pos   int
		token string
		msg   string
	}{
		{``, 0, ``, msgEmpty},
		{`   `, 3, ``, msgEmpty},
		{`skills HAS`, 10, ``, msgExpectValue},
		{`skills HAS HAS 'x'`, 11, `HAS`, msgExpectValue},
		{`level`, 5, ``, msgExpectOperator},
		{`true`, 4, ``, msgExpectOperator},
		{`false OR 1 == 1`, 6, `OR`, msgExpectOperator},
		{`(level == 5) AND team`, 21, ``, msgExpectOperator},
		{`first-name == 'x'`, 0, `first-name`, msgHyphen},
		{`a.first-name == 'x'`, 0, `a.first-name`, msgHyphen},
		{`level-1 == 4`, 0, `level-1`, msgHyphen},
		{`level = = 5`, 8, `=`, msgExpectValue},
		{`level == 5 level == 6`, 11, `level`, msgExpectLogical},
		{`a == 1 == 2`, 7, `==`, msgExpectLogical},
		{`a HAS 'x' NOT IN ['y']`, 10, `NOT`, msgExpectLogical},
		{`(level == 5`, 11, ``, msgExpectClose},
		{`(level == 5 team == 'x')`, 12, `team`, msgExpectClose},
		{`level == 5)`, 10, `)`, msgUnmatchedClose},
		{`team == 'gold`, 8, `'gold`, msgUnterminated},
		{`team == "gold'`, 8, `"gold'`, msgUnterminated},
		{`team IN ['a' 'b']`, 13, `'b'`, msgListSep},
		{`team IN [a]`, 9, `a`, msgListElem},
		{`team IN [1,]`, 11, `]`, msgListElem},
		{`team IN [`, 9, ``, msgListElem},
		{`team IN [['a']]`, 9, `[`, msgListElem},
		{`team NOT 'a'`, 9, `'a'`, msgExpectIn},
		{`team NOT HAS 'a'`, 9, `HAS`, msgExpectIn},
		{`a.b. == 1`, 3, `a.b.`, msgExpectName},
		{`a[x] == 1`, 1, `[x`, msgExpectIndex},
		{`a[] == 1`, 1, `[]`, msgExpectIndex},
		{`a[1 == 1`, 1, `[1 `, msgExpectIndex},
		{`a == 1 & b == 2`, 7, `&`, msgSingleAmp},
		{`a == 1 | b == 2`, 7, `|`, msgSinglePipe},
		{`a # 1`, 2, `#`, msgUnexpectedChar},
		{`a ! b`, 2, `!`, msgUnexpectedChar},
		{`a !== 1`, 4, `=`, msgExpectValue},
		{`a == - 1`, 5, `-`, msgUnexpectedChar},
		{`1abc == 1`, 0, `1abc`, msgBadNumber},
		{`a == 1.2.3`, 5, `1.2.3`, msgBadNumber},
		{`a == 1e5`, 5, `1e5`, msgBadNumber},
		{`a == ` + strings.Repeat("9", 400), 5, strings.Repeat("9", maxTokenLen), msgNumberRange},
		{`AND a == 1`, 0, `AND`, msgExpectValue},
		{`a == 1 AND`, 10, ``, msgExpectValue},
		{`a == 1 OR OR b == 1`, 10, `OR`, msgExpectValue},
		{`()`, 1, `)`, msgExpectValue},
		{`not`, 3, ``, msgExpectValue},
		{`(a == 1) (b == 1)`, 9, `(`, msgExpectLogical},
		{`a IN['x'] AND b<-['y'] AND c`, 28, ``, msgExpectOperator},
		{deep, maxDepth, `(`, msgTooDeep},
		{`a == 'é` + strings.Repeat("x", 40), 5, `'é` + strings.Repeat("x", maxTokenLen-3), msgUnterminated},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			e, err := Parse(tc.src)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want error", tc.src, e)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error %T, want *SyntaxError", tc.src, err)
			}
			if se.Pos != tc.pos || se.Token != tc.token || se.Msg != tc.msg {
				t.Errorf("Parse(%q) = {Pos:%d Token:%q Msg:%q}, want {Pos:%d Token:%q Msg:%q}",
					tc.src, se.Pos, se.Token, se.Msg, tc.pos, tc.token, tc.msg)
			}
		})
	}
}

func TestSyntaxErrorMessage(t *testing.T) {
	_, err := Parse(`abc == HAS 'x'`)
	if want := `invalid expression at position 7 near "HAS": expected a value`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
	_, err = Parse(`abc ==`)
	if want := `invalid expression at position 6 near end of input: expected a value`; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

// TestLenientForms pins accepted spellings that are easy to break.
func TestLenientForms(t *testing.T) {
	for _, src := range []string{
		`a IN['x']`, `a<-['x']`, `a>-'x'`, `a=='x'`, `a=1`, `(a==1)AND(b==2)`,
		"a == 1\n\tAND b == 2", `task.in == 1`, `worker.not.x == 1`, `a.123 == 1`,
		`a[0][1].b == 1`, `x IN []`, `NOT NOT a == 1`, `a == -0.5`, `_private == 1`,
	} {
		if _, err := Parse(src); err != nil {
			t.Errorf("Parse(%q): %v", src, err)
		}
	}
}

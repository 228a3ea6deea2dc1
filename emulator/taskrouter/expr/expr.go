package expr

// Expr is a compiled expression. It is immutable, so one Expr may be
// evaluated concurrently (e.g. a queue's target_workers against every worker).
type Expr struct {
	src  string
	root *node
	refs []string
}

// Parse compiles src. Compilation splits every reference into path segments
// up front so that Eval does no parsing or allocation. Errors are always
// *SyntaxError.
func Parse(src string) (*Expr, error) {
	p, err := newParser(src)
	if err != nil {
		return nil, err
	}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Expr{src: src, root: root, refs: p.refs}, nil
}

// MustParse is Parse for expressions known to be valid, such as built-in
// defaults like "1==1"; it panics on a syntax error.
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return e
}

// String returns the source exactly as given to Parse, because the API echoes
// expressions back verbatim (target_workers, workflow configuration).
func (e *Expr) String() string { return e.src }

// References lists the distinct reference paths in order of first use, in
// canonical form ("task.skills", "object.array[2]"), so callers can validate
// them (e.g. workflow target expressions must prefix task./worker.) and name
// them in messages. The slice is a copy the caller may modify.
func (e *Expr) References() []string {
	return append([]string(nil), e.refs...)
}

package studio

func executionContext(ex *Execution) map[string]any { return ex.Context() }
func stepContext(st *Step) map[string]any          { return st.Context() }

package emulator

// ControlRouteForTest describes a control route to the external tests.
type ControlRouteForTest struct {
	Method, Path string
	EmulatorWide bool
}

// ControlTablesForTest lists the control API's route tables.
func ControlTablesForTest() [][]ControlRouteForTest {
	var out [][]ControlRouteForTest
	for _, table := range controlTables() {
		var rows []ControlRouteForTest
		for _, rt := range table {
			rows = append(rows, ControlRouteForTest{Method: rt.method, Path: rt.path, EmulatorWide: rt.emulator != nil})
		}
		out = append(out, rows)
	}
	return out
}

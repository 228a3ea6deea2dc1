package emulator

import "net/http"

// consoleRoutes serves the console's JSON read model and its actions under
// the control API prefix p.
func (e *Emulator) consoleRoutes(mux *http.ServeMux, p string) {
}

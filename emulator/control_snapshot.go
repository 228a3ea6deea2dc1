package emulator

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// snapshotControl saves the emulator's state on demand (snapshot.go).
var snapshotControl = []controlRoute{
	{method: "POST", path: "/snapshot", emulator: (*Emulator).controlSnapshot},
}

// controlSnapshot answers the whole emulator's snapshot, after writing it to
// the state file when there is one. A failure (an engine that cannot
// encode its state, a disk that refuses the file) is Twilio's 500 error
// naming it, and leaves the previous file as it was.
func (e *Emulator) controlSnapshot(w http.ResponseWriter, r *http.Request) {
	data, err := e.SaveState()
	if err != nil {
		twilio.WriteError(w, twilio.NewError(http.StatusInternalServerError, twilio.CodeInternal, "snapshot failed: %v", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

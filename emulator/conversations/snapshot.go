package conversations

import (
	"encoding/json"
	"errors"
)

// Snapshot encodes the engine's whole state as JSON, for state snapshots
// (emulator --state). It is called under the account lock.
func (e *Engine) Snapshot() (json.RawMessage, error) {
	return nil, errors.New("conversations: snapshots are not implemented yet")
}

// Restore loads data, written by Snapshot (possibly by an earlier process),
// into e, which must be fresh from New and wired but hold no state. It
// re-arms timers at their stored virtual deadlines and emits nothing. It is
// called under the account lock; on error e is left empty.
func (e *Engine) Restore(data json.RawMessage) error {
	return errors.New("conversations: snapshots are not implemented yet")
}

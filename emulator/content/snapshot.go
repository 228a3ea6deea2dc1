package content

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// snapshot is the Content engine's state file shape: templates in creation
// order (List reverses it). The account SID is the env's and not stored.
type snapshot struct {
	Templates []snapTemplate `json:"templates"`
}

// snapTemplate is one template; Types is the compact object as given, so its
// key order (TypeOrder) and parsed form are rebuilt from it.
type snapTemplate struct {
	SID          string            `json:"sid"`
	FriendlyName string            `json:"friendly_name"`
	Language     string            `json:"language"`
	Variables    map[string]string `json:"variables"`
	Types        json.RawMessage   `json:"types"`
	DateCreated  time.Time         `json:"date_created"`
	DateUpdated  time.Time         `json:"date_updated"`
}

// Snapshot encodes the engine's whole state as JSON, for state snapshots
// (emulator --state). It is called under the account lock.
func (e *Engine) Snapshot() (json.RawMessage, error) {
	s := snapshot{Templates: make([]snapTemplate, 0, len(e.order))}
	for _, sid := range e.order {
		t := e.templates[sid]
		s.Templates = append(s.Templates, snapTemplate{SID: t.SID, FriendlyName: t.FriendlyName, Language: t.Language,
			Variables: t.Variables, Types: t.Types, DateCreated: t.DateCreated, DateUpdated: t.DateUpdated})
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("content: snapshot: %w", err)
	}
	return b, nil
}

// Restore loads data, written by Snapshot (possibly by an earlier process),
// into e, which must be fresh from New and wired but hold no state. It
// re-arms timers at their stored virtual deadlines and emits nothing. It is
// called under the account lock; on error e is left empty.
func (e *Engine) Restore(data json.RawMessage) error {
	if len(e.order) != 0 {
		return fmt.Errorf("content: restore: the engine already holds %d templates", len(e.order))
	}
	var s snapshot
	if err := twilio.DecodeStrict(data, &s); err != nil {
		return fmt.Errorf("content: restore: %w", err)
	}
	templates := make(map[string]*Template, len(s.Templates))
	order := make([]string, 0, len(s.Templates))
	for i, st := range s.Templates {
		if !twilio.IsSID(st.SID, "HX") {
			return fmt.Errorf("content: restore: templates[%d]: %q is not a Content SID", i, st.SID)
		}
		if _, dup := templates[st.SID]; dup {
			return fmt.Errorf("content: restore: templates[%d]: duplicate SID %s", i, st.SID)
		}
		if st.Language == "" {
			return fmt.Errorf("content: restore: templates[%d] (%s): no language", i, st.SID)
		}
		typeOrder, types, compact, err := parseTypes(st.Types)
		if err != nil {
			return fmt.Errorf("content: restore: templates[%d] (%s): %w", i, st.SID, err)
		}
		vars := st.Variables
		if vars == nil {
			vars = map[string]string{}
		}
		templates[st.SID] = &Template{SID: st.SID, AccountSID: e.env.AccountSID, FriendlyName: st.FriendlyName,
			Language: st.Language, Variables: vars, Types: compact, TypeOrder: typeOrder, types: types,
			DateCreated: st.DateCreated, DateUpdated: st.DateUpdated}
		order = append(order, st.SID)
	}
	e.templates, e.order = templates, order
	return nil
}

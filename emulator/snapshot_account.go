package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/mcs"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// accountSnapshot is one account in a state snapshot.
type accountSnapshot struct {
	SID          string `json:"sid"`
	AuthToken    string `json:"auth_token"`
	FriendlyName string `json:"friendly_name,omitempty"`
	// FixtureRef is how the account's fixture was named when it was
	// created (AccountParams.Fixture); Fixture is the fixture itself.
	FixtureRef string          `json:"fixture_ref,omitempty"`
	Fixture    fixtureSnapshot `json:"fixture"`
	Clock      clockSnapshot   `json:"clock"`
	// TokenOffset is how far Access Token time was ahead of wall time
	// (the clock advances made): a restore keeps it, so tokens minted
	// before the save stay valid until their exp in wall time.
	TokenOffset time.Duration   `json:"token_offset_ns"`
	Setup       Setup           `json:"setup"`
	Engines     engineSnapshots `json:"engines"`
	// Media is what the Conversations SDKs uploaded (the media service),
	// content included.
	Media []mcs.Stored `json:"media,omitempty"`
}

// clockSnapshot is the account's virtual clock when it was saved.
type clockSnapshot struct {
	Mode clock.Mode `json:"mode"`
	Now  time.Time  `json:"now"`
}

// engineSnapshots are the engines' own snapshots, opaque here.
type engineSnapshots struct {
	Conversations json.RawMessage `json:"conversations"`
	Studio        json.RawMessage `json:"studio"`
	Flex          json.RawMessage `json:"flex"`
	TaskRouter    json.RawMessage `json:"taskrouter"`
	Content       json.RawMessage `json:"content"`
}

// fixtureSnapshot keeps an account's fixture so Reset re-applies it after a
// restore: the YAML as read, with the flow definition files it named (the
// files may have moved or changed since), or the parsed form of a fixture
// built in Go.
type fixtureSnapshot struct {
	Name   string `json:"name"`
	Source string `json:"source,omitempty"`
	// DefinitionFiles are the contents of the flows' definition_file, by
	// the name the fixture gives.
	DefinitionFiles map[string]json.RawMessage `json:"definition_files,omitempty"`
	Parsed          *fixture.Fixture           `json:"parsed,omitempty"`
}

// snapshot takes the account's state in one hold of its lock: all engines
// at the same instant, with the clock's time at that instant.
func (a *Account) snapshot() (accountSnapshot, error) {
	fx, err := snapshotFixture(a.fixture)
	if err != nil {
		return accountSnapshot{}, fmt.Errorf("account %s: %w", a.SID, err)
	}
	s := accountSnapshot{SID: a.SID, AuthToken: a.AuthToken, FriendlyName: a.FriendlyName, FixtureRef: a.fixtureRef,
		Fixture: fx}
	err = a.locked(0, func(en *Engines) error {
		s.Clock = clockSnapshot{Mode: a.clock.Mode(), Now: a.clock.Now()}
		s.TokenOffset = a.TokenNow().Sub(time.Now())
		s.Setup = copySetup(en.Setup)
		for _, eng := range []struct {
			name string
			snap func() (json.RawMessage, error)
			into *json.RawMessage
		}{
			{"conversations", en.Conversations.Snapshot, &s.Engines.Conversations},
			{"studio", en.Studio.Snapshot, &s.Engines.Studio},
			{"flex", en.Flex.Snapshot, &s.Engines.Flex},
			{"taskrouter", en.TaskRouter.Snapshot, &s.Engines.TaskRouter},
			{"content", en.Content.Snapshot, &s.Engines.Content},
		} {
			raw, err := eng.snap()
			if err != nil {
				return fmt.Errorf("account %s: %s engine: %w", a.SID, eng.name, err)
			}
			*eng.into = raw
		}
		return nil
	})
	return s, err
}

// copySetup copies what the fixture created, so the snapshot is encoded
// outside the lock without sharing the account's maps.
func copySetup(s Setup) Setup {
	out := Setup{Addresses: append([]SetupAddress{}, s.Addresses...), Customers: map[string]string{}}
	if s.Workspace != nil {
		ws := *s.Workspace
		out.Workspace = &ws
	}
	for k, v := range s.Customers {
		out.Customers[k] = v
	}
	return out
}

// restoreAccount builds an account from its snapshot: its clock at the saved
// virtual time (in this emulator's clock mode), its engines restored with
// their timers re-armed, and a timeline holding one entry that says so. It
// also returns how many objects (resources with a SID) it restored.
func restoreAccount(s accountSnapshot, o Options, savedAt time.Time) (*Account, int, error) {
	fx, err := s.Fixture.load()
	if err != nil {
		return nil, 0, fmt.Errorf("account %s: %w", s.SID, err)
	}
	var clk *clock.Virtual
	if o.ClockMode == clock.Real {
		clk = clock.NewRealAt(s.Clock.Now)
	} else {
		clk = clock.NewManual(s.Clock.Now)
	}
	a := blankAccount(s.SID, s.AuthToken, clk, fx, o.Logger)
	a.FriendlyName, a.fixtureRef = s.FriendlyName, s.FixtureRef
	// Token time keeps its lead over wall time (see TokenNow).
	a.tokenEpoch, a.clockEpoch = time.Now().UTC(), s.Clock.Now.Add(-s.TokenOffset)
	err = a.restore(func(en *Engines) error {
		for _, eng := range []struct {
			name    string
			restore func(json.RawMessage) error
			data    json.RawMessage
		}{
			// Content and TaskRouter first: nothing they hold points at the
			// others; then the engines whose state refers to them.
			{"content", en.Content.Restore, s.Engines.Content},
			{"taskrouter", en.TaskRouter.Restore, s.Engines.TaskRouter},
			{"conversations", en.Conversations.Restore, s.Engines.Conversations},
			{"flex", en.Flex.Restore, s.Engines.Flex},
			{"studio", en.Studio.Restore, s.Engines.Studio},
		} {
			if len(eng.data) == 0 {
				return fmt.Errorf("the snapshot has no %s state", eng.name)
			}
			if err := eng.restore(eng.data); err != nil {
				return fmt.Errorf("%s engine: %w", eng.name, err)
			}
		}
		en.Setup = copySetup(s.Setup)
		return nil
	})
	if err != nil {
		discardAccount(a)
		return nil, 0, fmt.Errorf("account %s: %w", s.SID, err)
	}
	n := countObjects(s.Engines) + len(s.Media)
	_ = a.locked(a.causes.New(), func(*Engines) error {
		// What building the bare engines recorded (the default service) is
		// not news: the restored state already holds it.
		a.timeline.Reset()
		a.webhooks.Reset()
		a.timeline.Append(timeline.Entry{Kind: timeline.KindState, Product: "emulator", Type: eventtype.EmulatorRestored,
			SID: a.SID, Refs: map[string]string{"state_file": o.StateFile, "saved_at": savedAt.Format(time.RFC3339), "objects": fmt.Sprint(n)},
			Summary: fmt.Sprintf("restored from %s (saved at %s) at virtual time %s with %d objects",
				o.StateFile, savedAt.Format(time.RFC3339), s.Clock.Now.Format(time.RFC3339), n)})
		return nil
	})
	return a, n, nil
}

// snapshotFixture keeps f for a restore.
func snapshotFixture(f *fixture.Fixture) (fixtureSnapshot, error) {
	if f == nil {
		return fixtureSnapshot{}, nil
	}
	if f.Source == nil {
		return fixtureSnapshot{Name: f.Name, Parsed: f}, nil
	}
	s := fixtureSnapshot{Name: f.Name, Source: string(f.Source)}
	for _, fl := range f.StudioFlows {
		if fl.DefinitionFile == "" {
			continue
		}
		def, err := f.FlowDefinition(fl)
		if err != nil {
			return fixtureSnapshot{}, fmt.Errorf("fixture %s: %w", f.Name, err)
		}
		if !json.Valid([]byte(def)) {
			return fixtureSnapshot{}, fmt.Errorf("fixture %s: definition_file %s is not JSON", f.Name, fl.DefinitionFile)
		}
		if s.DefinitionFiles == nil {
			s.DefinitionFiles = map[string]json.RawMessage{}
		}
		s.DefinitionFiles[fl.DefinitionFile] = json.RawMessage(def)
	}
	return s, nil
}

// load rebuilds the fixture: parsed from its YAML, with the flows'
// definition files inlined from the snapshot, or as it was encoded.
func (s fixtureSnapshot) load() (*fixture.Fixture, error) {
	if s.Parsed != nil {
		return s.Parsed, nil
	}
	if s.Source == "" && s.Name == "" {
		return &fixture.Fixture{}, nil
	}
	f, err := fixture.Parse(s.Name, []byte(s.Source))
	if err != nil {
		return nil, fmt.Errorf("its fixture: %w", err)
	}
	for i, fl := range f.StudioFlows {
		if fl.DefinitionFile == "" {
			continue
		}
		def, ok := s.DefinitionFiles[fl.DefinitionFile]
		if !ok {
			return nil, fmt.Errorf("its fixture %s: the snapshot lacks definition_file %s", s.Name, fl.DefinitionFile)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, def); err != nil {
			return nil, fmt.Errorf("its fixture %s: definition_file %s: %w", s.Name, fl.DefinitionFile, err)
		}
		f.StudioFlows[i].Definition = fixture.JSON{Text: compact.String(), Line: fl.Line}
		f.StudioFlows[i].DefinitionFile = ""
	}
	return f, nil
}

// countObjects counts the resources (objects with a "sid") in the engines'
// snapshots, for the restore's report.
func countObjects(en engineSnapshots) int {
	n := 0
	var walk func(v any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if _, ok := t["sid"].(string); ok {
				n++
			}
			for _, x := range t {
				walk(x)
			}
		case []any:
			for _, x := range t {
				walk(x)
			}
		}
	}
	for _, raw := range []json.RawMessage{en.Conversations, en.Studio, en.Flex, en.TaskRouter, en.Content} {
		var v any
		if json.Unmarshal(raw, &v) == nil {
			walk(v)
		}
	}
	return n
}

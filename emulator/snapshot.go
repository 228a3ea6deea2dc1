package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"runtime/debug"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/mcs"
)

// SnapshotFormat is the layout version of a state snapshot. It changes when
// the file's own fields change; what the engines store is covered by the
// flexemu version (see checkVersion).
const SnapshotFormat = 1

// modulePath is flexemu's module: its version is what a snapshot records.
const modulePath = "github.com/flexemu/flexemu"

// snapshotFile is a state snapshot: every account of the emulator, as one
// JSON document.
type snapshotFile struct {
	Format   int               `json:"flexemu_snapshot"`
	Version  string            `json:"flexemu_version"`
	SavedAt  time.Time         `json:"saved_at"` // wall time
	Accounts []accountSnapshot `json:"accounts"` // the primary first
}

// stateKeeper is the emulator's side of its state file: it serialises saves
// (so a later snapshot is never overwritten by an earlier one) and
// remembers what New found, for the banner.
type stateKeeper struct {
	mu sync.Mutex
	// note says what New did with the state file ("" without one).
	note string
	// ready is set once New succeeded: a failed New's Close saves nothing.
	ready bool
}

// Version is the flexemu version this binary was built from, as Go's build
// information tells it: a module version when flexemu is a dependency or
// was built from a tagged module, "(devel)" for a development build.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(devel)"
	}
	if bi.Main.Path == modulePath && bi.Main.Version != "" {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path != modulePath {
			continue
		}
		if d.Replace != nil {
			return "(devel)" // a replaced module is someone's working copy
		}
		return d.Version
	}
	return "(devel)"
}

// Snapshot encodes the whole emulator state as a state snapshot (the JSON
// document --state files hold): every account with its credentials,
// fixture, clock and engines, each account taken in one hold of its lock.
func (e *Emulator) Snapshot() ([]byte, error) {
	accts := e.Accounts()
	file := snapshotFile{Format: SnapshotFormat, Version: Version(), SavedAt: time.Now().UTC(),
		Accounts: make([]accountSnapshot, 0, len(accts))}
	for _, a := range accts {
		if a.removed.Load() { // removed while this snapshot was being taken
			continue
		}
		s, err := a.snapshot()
		if err != nil {
			return nil, err
		}
		s.Media = e.media.Export(a.SID) // the store has its own lock: uploads skip the account's
		file.Accounts = append(file.Accounts, s)
	}
	b, err := json.Marshal(file)
	if err != nil {
		return nil, fmt.Errorf("encoding the snapshot: %w", err)
	}
	return append(b, '\n'), nil
}

// SaveState takes a snapshot and, when the emulator has a state file,
// replaces the file with it atomically; it returns the snapshot either way.
func (e *Emulator) SaveState() ([]byte, error) {
	e.state.mu.Lock()
	defer e.state.mu.Unlock()
	data, err := e.Snapshot()
	if err != nil {
		return nil, err
	}
	if e.opts.StateFile != "" {
		if err := writeFileAtomic(e.opts.StateFile, data); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// StateNote says what New did with the state file: "restored N accounts
// from FILE (saved at …)" or "no state file yet at FILE: applied fixture
// X"; "" when the emulator has none.
func (e *Emulator) StateNote() string { return e.state.note }

// restored is what restoreState found in the state file.
type restored struct {
	accounts []*Account // nil: no state file yet
	note     string     // for StateNote
	// media is the accounts' uploaded media, checked against a store's
	// bounds; New adds it once the media service is mounted (mounting it
	// clears an account's media, as a Reset does).
	media []mcs.Stored
}

// restoreState builds the accounts saved in o.StateFile. It returns no
// accounts, and a note saying so, when the file does not exist yet. Any
// error leaves nothing running: the caller starts from scratch or fails.
func restoreState(o Options) (restored, error) {
	if o.StateFile == "" {
		return restored{}, nil
	}
	removeStaleTemps(o.StateFile)
	file, err := readSnapshot(o.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return restored{note: fmt.Sprintf("no state file yet at %s: applied fixture %s", o.StateFile, o.Fixture.Name)}, nil
	}
	if err != nil {
		return restored{}, err
	}
	if len(file.Accounts) == 0 {
		return restored{}, fmt.Errorf("snapshot %s holds no accounts: delete it to start from the fixture", o.StateFile)
	}
	if p := file.Accounts[0]; p.SID != o.AccountSID || p.AuthToken != o.AuthToken {
		return restored{}, fmt.Errorf("snapshot %s is of account %s, but this emulator is configured for account %s "+
			"(or another auth token): use that account's credentials, or delete the file to start afresh",
			o.StateFile, p.SID, o.AccountSID)
	}
	accts := make([]*Account, 0, len(file.Accounts))
	objects := 0
	seen := map[string]bool{}
	for _, s := range file.Accounts {
		if seen[s.SID] {
			return restored{}, fmt.Errorf("snapshot %s holds account %s twice: it is damaged", o.StateFile, s.SID)
		}
		seen[s.SID] = true
	}
	var stored []mcs.Stored
	for _, s := range file.Accounts {
		for _, m := range s.Media {
			if m.AccountSID != s.SID {
				return restored{}, fmt.Errorf("snapshot %s: account %s lists media %s of account %s: it is damaged", o.StateFile, s.SID, m.SID, m.AccountSID)
			}
		}
		stored = append(stored, s.Media...)
	}
	fail := func(err error) (restored, error) {
		for _, done := range accts {
			discardAccount(done)
		}
		return restored{}, fmt.Errorf("snapshot %s: %w", o.StateFile, err)
	}
	if err := mcs.NewStore(0, 0).Import(stored); err != nil { // the bounds New's store has
		return fail(err)
	}
	for _, s := range file.Accounts {
		a, n, err := restoreAccount(s, o, file.SavedAt)
		if err != nil {
			return fail(err)
		}
		accts = append(accts, a)
		objects += n
	}
	return restored{accounts: accts, media: stored, note: fmt.Sprintf("restored %s from %s (saved at %s, %d objects)", accountsWord(len(accts)),
		o.StateFile, file.SavedAt.Format(time.RFC3339), objects)}, nil
}

// discardAccount stops what a restored account runs on its own (its
// clock's timers, its webhook dispatcher) when the restore is abandoned.
func discardAccount(a *Account) {
	a.clock.Stop()
	_ = a.webhooks.Close(0)
}

// accountsWord is "1 account" or "N accounts".
func accountsWord(n int) string {
	if n == 1 {
		return "1 account"
	}
	return fmt.Sprintf("%d accounts", n)
}

package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"runtime/debug"
	"sync"
	"time"
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
		s, err := a.snapshot()
		if err != nil {
			return nil, err
		}
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

// restoreState builds the accounts saved in o.StateFile. It returns no
// accounts, and a note saying so, when the file does not exist yet. Any
// error leaves nothing running: the caller starts from scratch or fails.
func restoreState(o Options) ([]*Account, string, error) {
	if o.StateFile == "" {
		return nil, "", nil
	}
	removeStaleTemps(o.StateFile)
	file, err := readSnapshot(o.StateFile)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Sprintf("no state file yet at %s: applied fixture %s", o.StateFile, o.Fixture.Name), nil
	}
	if err != nil {
		return nil, "", err
	}
	if len(file.Accounts) == 0 {
		return nil, "", fmt.Errorf("snapshot %s holds no accounts: delete it to start from the fixture", o.StateFile)
	}
	if p := file.Accounts[0]; p.SID != o.AccountSID || p.AuthToken != o.AuthToken {
		return nil, "", fmt.Errorf("snapshot %s is of account %s, but this emulator is configured for account %s "+
			"(or another auth token): use that account's credentials, or delete the file to start afresh",
			o.StateFile, p.SID, o.AccountSID)
	}
	accts := make([]*Account, 0, len(file.Accounts))
	objects := 0
	seen := map[string]bool{}
	for _, s := range file.Accounts {
		if seen[s.SID] {
			return nil, "", fmt.Errorf("snapshot %s holds account %s twice: it is damaged", o.StateFile, s.SID)
		}
		seen[s.SID] = true
	}
	for _, s := range file.Accounts {
		a, n, err := restoreAccount(s, o, file.SavedAt)
		if err != nil {
			for _, done := range accts {
				discardAccount(done)
			}
			return nil, "", fmt.Errorf("snapshot %s: %w", o.StateFile, err)
		}
		accts = append(accts, a)
		objects += n
	}
	return accts, fmt.Sprintf("restored %d accounts from %s (saved at %s, %d objects)", len(accts),
		o.StateFile, file.SavedAt.Format(time.RFC3339), objects), nil
}

// discardAccount stops what a restored account runs on its own (its
// clock's timers, its webhook dispatcher) when the restore is abandoned.
func discardAccount(a *Account) {
	a.clock.Stop()
	_ = a.webhooks.Close(0)
}

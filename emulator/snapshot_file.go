package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// tempInfix marks the temporary files a save writes next to the state file;
// a save killed half-way leaves one behind, which the next start removes.
const tempInfix = ".tmp-"

// writeFileAtomic replaces path with data so that a crash at any moment
// leaves either the old file or the new one, never a torn mix: write a
// temporary file in the same directory, fsync it, rename it over path,
// fsync the directory so the rename itself survives a power cut.
func writeFileAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+tempInfix+"*")
	if err != nil {
		return fmt.Errorf("saving state to %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = os.Remove(tmp)
			err = fmt.Errorf("saving state to %s: %w", path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

// syncDir flushes a directory's entries (the rename) to disk. Windows
// cannot fsync a directory (its renames are durable as they are), and some
// file systems answer EINVAL: neither is a failed save.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// removeStaleTemps deletes temporary files left by saves that were killed
// before their rename; they never hold the state (the file itself does).
func removeStaleTemps(path string) {
	pattern := filepath.Join(filepath.Dir(path), "."+globEscape(filepath.Base(path))+tempInfix+"*")
	matches, _ := filepath.Glob(pattern)
	for _, m := range matches {
		_ = os.Remove(m)
	}
}

// globEscape quotes the pattern characters of a file name.
func globEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// readSnapshot reads and checks a state file: a file of another format or
// flexemu version is refused before its contents are looked at, and a file
// that is not a whole snapshot (corrupt, truncated, hand-edited into
// unknown fields) is refused rather than half-applied.
func readSnapshot(path string) (*snapshotFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var head struct {
		Format  *int   `json:"flexemu_snapshot"`
		Version string `json:"flexemu_version"`
	}
	if err := json.Unmarshal(data, &head); err != nil || head.Format == nil {
		if err == nil {
			err = errors.New("no flexemu_snapshot field")
		}
		return nil, fmt.Errorf("%s is not a flexemu state snapshot (or it is damaged): %v: delete it to start from the fixture", path, err)
	}
	if *head.Format != SnapshotFormat || head.Version != Version() {
		return nil, fmt.Errorf("snapshot %s was written by flexemu %s (format %d); this is flexemu %s (format %d): "+
			"delete it or run the version that wrote it", path, head.Version, *head.Format, Version(), SnapshotFormat)
	}
	var file snapshotFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	// The header's Unmarshal already refused data after the document.
	if err := dec.Decode(&file); err != nil {
		return nil, fmt.Errorf("snapshot %s is damaged: %v: delete it to start from the fixture", path, err)
	}
	return &file, nil
}

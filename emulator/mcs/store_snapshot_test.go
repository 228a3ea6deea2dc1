package mcs

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// TestExportImportRoundTrip: Import takes back what Export listed, SIDs,
// metadata and content alike, and refuses (adding nothing) what breaks
// the store's rules.
func TestExportImportRoundTrip(t *testing.T) {
	src := NewStore(0, 0)
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	a, _ := src.Put(Media{AccountSID: "AC1", ServiceSID: "IS1", ContentType: "image/png", DateCreated: t0}, []byte("one"))
	b, _ := src.Put(Media{AccountSID: "AC1", ServiceSID: "IS1", ContentType: "text/plain", DateCreated: t0.Add(time.Second)}, []byte("two"))
	src.SetMessage("AC1", b.SID, "CH1", "IM1")
	out := src.Export("AC1")
	if len(out) != 2 || out[0].SID != a.SID || out[1].SID != b.SID {
		t.Fatalf("Export = %+v, want %s then %s", out, a.SID, b.SID)
	}
	dst := NewStore(0, 0)
	if err := dst.Import(out); err != nil {
		t.Fatal(err)
	}
	m, content, ok := dst.Content("AC1", b.SID)
	if !ok || !bytes.Equal(content, []byte("two")) || m.MessageSID != "IM1" || !m.DateCreated.Equal(b.DateCreated) || dst.Bytes("AC1") != 6 {
		t.Fatalf("imported %+v %q %v, bytes %d", m, content, ok, dst.Bytes("AC1"))
	}

	small := NewStore(4, 5)
	for _, tc := range []struct {
		name  string
		items []Stored
	}{
		{"already stored", []Stored{out[0]}},
		{"listed twice", []Stored{{Media: Media{SID: a.SID, AccountSID: "AC2", Size: 3}, Content: []byte("one")},
			{Media: Media{SID: a.SID, AccountSID: "AC2", Size: 3}, Content: []byte("one")}}},
		{"size lies", []Stored{{Media: Media{SID: a.SID, AccountSID: "AC2", Size: 9}, Content: []byte("one")}}},
		{"not a SID", []Stored{{Media: Media{SID: "XX1", AccountSID: "AC2", Size: 3}, Content: []byte("one")}}},
	} {
		if err := dst.Import(tc.items); err == nil || dst.Bytes("AC2") != 0 {
			t.Errorf("%s: Import = %v, %d bytes added; want an error and nothing added", tc.name, err, dst.Bytes("AC2"))
		}
	}
	big := Stored{Media: Media{SID: a.SID, AccountSID: "AC3", Size: 5}, Content: []byte("12345")}
	if err := small.Import([]Stored{big}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("an object over the bound: %v, want ErrTooLarge", err)
	}
	if err := small.Import([]Stored{out[0], out[1]}); !errors.Is(err, ErrFull) || small.Bytes("AC1") != 0 {
		t.Errorf("over the account's bound: %v (bytes %d), want ErrFull and nothing added", err, small.Bytes("AC1"))
	}
}

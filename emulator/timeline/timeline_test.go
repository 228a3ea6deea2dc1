package timeline

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/clock"
)

func TestAppendSinceReset(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(0, 0)), nil)
	a := tl.Append(Entry{Type: "a"})
	b := tl.Append(Entry{Type: "b"})
	if a.Seq != 1 || b.Seq != 2 {
		t.Fatalf("seqs %d %d", a.Seq, b.Seq)
	}
	if got := tl.Since(1); len(got) != 1 || got[0].Type != "b" {
		t.Fatalf("Since(1) = %+v", got)
	}
	tl.Reset()
	if got := tl.Since(0); len(got) != 0 {
		t.Fatalf("after reset: %+v", got)
	}
	c := tl.Append(Entry{Type: "c"})
	if c.Seq != 3 {
		t.Fatalf("seq after reset = %d, want 3", c.Seq)
	}
	if got := tl.Since(2); len(got) != 1 || got[0].Type != "c" {
		t.Fatalf("Since(2) after reset = %+v", got)
	}
}

func TestByteBoundDropsOldest(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(0, 0)), nil)
	tl.SetMaxBytes(64 << 10)
	big := string(make([]byte, 1000))
	for i := 0; i < 1000; i++ {
		tl.Append(Entry{Summary: big, Refs: map[string]string{"conversation_sid": "CH0123"}})
	}
	if b := tl.Bytes(); b > 64<<10+64<<10/8 {
		t.Fatalf("timeline holds %d bytes, bound is 64 KiB (+1/8 slack)", b)
	}
	got := tl.Since(0)
	if len(got) == 0 || len(got) > 70 || got[len(got)-1].Seq != 1000 {
		t.Fatalf("kept %d entries ending at %d", len(got), got[len(got)-1].Seq)
	}
	if got[0].Seq != 1000-int64(len(got))+1 || got[0].Refs["conversation_sid"] != "CH0123" {
		t.Fatalf("kept entries are not the newest, or lost their refs: first %+v", got[0])
	}
	if tl.Len() != len(got) {
		t.Fatalf("Len %d, Since returned %d", tl.Len(), len(got))
	}
}

func TestCausedFiltersByCause(t *testing.T) {
	causes := cause.NewTracker()
	tl := New(clock.NewManual(time.Unix(0, 0)), causes)
	a, b := causes.New(), causes.New()
	restore := causes.Enter(a)
	tl.Append(Entry{Type: "a1"})
	restore()
	tl.Append(Entry{Type: "b1", Cause: b})
	restore = causes.Enter(a)
	tl.Append(Entry{Type: "a2"})
	tl.Append(Entry{Type: "b2", Cause: b}) // an explicit cause wins over the current one
	restore()
	got, truncated := tl.Caused(0, a, 10)
	if len(got) != 2 || got[0].Type != "a1" || got[1].Type != "a2" || truncated {
		t.Fatalf("Caused(a) = %+v, truncated %v", got, truncated)
	}
	got, truncated = tl.Caused(0, b, 1)
	if len(got) != 1 || got[0].Type != "b1" || !truncated {
		t.Fatalf("Caused(b, max 1) = %+v, truncated %v", got, truncated)
	}
	if got, _ := tl.Caused(got[0].Seq, b, 10); len(got) != 1 || got[0].Type != "b2" {
		t.Fatalf("Caused(b) after b1 = %+v", got)
	}
}

func TestWait(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(0, 0)), nil)
	go func() { tl.Append(Entry{Type: "x"}); tl.Append(Entry{Type: "want"}) }()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e, err := tl.Wait(ctx, 0, func(e Entry) bool { return e.Type == "want" })
	if err != nil || e.Type != "want" {
		t.Fatalf("Wait = %+v, %v", e, err)
	}
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if _, err := tl.Wait(short, e.Seq, func(Entry) bool { return true }); err == nil {
		t.Fatal("Wait with nothing new returned no error")
	}
}

// Entries read back whole across chunk boundaries, after the oldest chunks
// were dropped, and with more distinct refs shapes than the shape table holds.
func TestStoreChunksAndShapes(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(0, 0)), nil)
	tl.SetMaxBytes(64 << 10)
	const n = maxShapes + 4*chunkSize
	for i := 0; i < n; i++ {
		key := "k" + strconv.Itoa(i%(maxShapes+10)) // some shapes overflow the table
		tl.Append(Entry{Kind: KindState, Product: "studio", Type: "t", SID: "S" + strconv.Itoa(i),
			Refs: map[string]string{key: strconv.Itoa(i), "a": "x"}})
	}
	got := tl.Since(0)
	if len(got) != tl.Len() || len(got) == 0 || len(got) == n {
		t.Fatalf("held %d entries of %d, Len %d", len(got), n, tl.Len())
	}
	for j, e := range got {
		i := int(e.Seq) - 1
		key := "k" + strconv.Itoa(i%(maxShapes+10))
		if e.SID != "S"+strconv.Itoa(i) || e.Refs[key] != strconv.Itoa(i) || e.Refs["a"] != "x" || len(e.Refs) != 2 ||
			e.Kind != KindState || e.Product != "studio" {
			t.Fatalf("entry %d read back as %+v", j, e)
		}
		if j > 0 && e.Seq != got[j-1].Seq+1 {
			t.Fatalf("gap between %d and %d", got[j-1].Seq, e.Seq)
		}
	}
	if got[len(got)-1].Seq != n {
		t.Fatalf("newest entry is %d, want %d", got[len(got)-1].Seq, n)
	}
	if len(tl.store.chunks) > (tl.Len()+chunkSize-1)/chunkSize+1 {
		t.Errorf("%d chunks hold %d entries: dropped chunks are kept", len(tl.store.chunks), tl.Len())
	}
}

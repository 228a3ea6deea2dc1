package timeline

import (
	"context"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
)

func TestAppendSinceReset(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(0, 0)))
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

func TestCapacityDropsOldest(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(0, 0)))
	tl.capacity = 10
	for i := 0; i < 12; i++ {
		tl.Append(Entry{})
	}
	got := tl.Since(0)
	if len(got) != 10 || got[0].Seq != 3 || got[9].Seq != 12 {
		t.Fatalf("kept %+v", got)
	}
}

func TestWait(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(0, 0)))
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

package timeline

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/clock"
)

// AppendPairs stores what Append stores: read back, the two entries differ
// only in their sequence numbers; the entry counts towards the byte bound.
func TestAppendPairsReadsBackAsAppend(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(100, 0)), nil)
	e := Entry{Kind: KindAPI, Product: "taskrouter", Type: "GET /v1/Workspaces", Summary: "GET /v1/Workspaces → OK", Cause: 7}
	withMap := e
	withMap.Refs = map[string]string{"status": "200", "a": "b"}
	tl.Append(withMap)
	before := tl.Bytes()
	tl.AppendPairs(e, []string{"a", "b", "status", "200"})
	if tl.Bytes() <= before {
		t.Fatalf("bytes %d after the pair entry, %d before", tl.Bytes(), before)
	}
	got := tl.Since(0)
	if len(got) != 2 || got[1].Seq != 2 {
		t.Fatalf("entries %+v", got)
	}
	got[1].Seq = got[0].Seq
	if !reflect.DeepEqual(got[0], got[1]) {
		t.Fatalf("AppendPairs read back as\n%+v\nAppend as\n%+v", got[1], got[0])
	}
	tl.AppendPairs(Entry{Type: "x"}, nil)
	if last := tl.Since(2); len(last) != 1 || last[0].Refs != nil || last[0].Seq != 3 {
		t.Fatalf("entry without refs %+v", last)
	}
}

// A waiter is woken by an entry appended either way, also after appends
// nobody waited for (the channel is made only for waiters).
func TestWaitWakesOnAppendPairs(t *testing.T) {
	tl := New(clock.NewManual(time.Unix(0, 0)), nil)
	tl.Append(Entry{Type: "early"})
	done := make(chan Entry)
	go func() {
		e, _ := tl.Wait(context.Background(), tl.Last(), func(e Entry) bool { return e.Type == "late" })
		done <- e
	}()
	time.Sleep(10 * time.Millisecond)
	tl.Append(Entry{Type: "other"})
	tl.AppendPairs(Entry{Type: "late"}, []string{"status", "200"})
	select {
	case e := <-done:
		if e.Type != "late" || e.Refs["status"] != "200" {
			t.Fatalf("woke with %+v", e)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Wait did not wake")
	}
}

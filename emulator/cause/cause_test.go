package cause

import (
	"context"
	"testing"
	"time"
)

func TestWaitCoversWorkStartedByWork(t *testing.T) {
	tr := NewTracker()
	a, b := tr.New(), tr.New()
	doneA := tr.Begin(a)
	doneB := tr.Begin(b)
	defer doneB()
	if !tr.Busy(a) || !tr.Busy(b) {
		t.Fatal("begun causes are not busy")
	}
	go func() {
		// a's delivery answers and schedules a reaction before it ends.
		reaction := tr.Begin(a)
		doneA()
		doneA() // idempotent
		time.Sleep(10 * time.Millisecond)
		reaction()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tr.Wait(ctx, a); err != nil {
		t.Fatalf("Wait(a): %v", err)
	}
	if tr.Busy(a) {
		t.Fatal("a is still busy after Wait")
	}
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if err := tr.Wait(short, b); err == nil {
		t.Fatal("Wait(b) returned while b's work is in flight")
	}
	if len(tr.work) != 1 {
		t.Fatalf("tracker keeps %d causes, want only b's", len(tr.work))
	}
	tr.Begin(0)() // cause 0 is not tracked
	if tr.Busy(0) {
		t.Fatal("cause 0 is tracked")
	}
}

func TestEnterRestoresAndHoldsAdopt(t *testing.T) {
	tr := NewTracker()
	a, b := tr.New(), tr.New()
	restore := tr.Enter(a)
	inner := tr.Enter(b)
	if tr.Current() != b {
		t.Fatal("Enter did not set the current cause")
	}
	inner()
	if tr.Current() != a {
		t.Fatal("restore did not bring back the previous cause")
	}
	restore()
	if tr.Current() != 0 {
		t.Fatal("restore did not clear the cause")
	}

	if tr.Holding() {
		t.Fatal("a new tracker holds something")
	}
	r1 := tr.Hold(a, "CH1")
	r2 := tr.Hold(a, "CH1")
	if id, ok := tr.Holder("CH1"); !ok || id != a {
		t.Fatalf("Holder(CH1) = %d, %v", id, ok)
	}
	r1()
	r1()
	if id, _ := tr.Holder("CH1"); id != a {
		t.Fatal("one of two holds released the subject")
	}
	rb := tr.Hold(b, "CH1") // a newer webhook about the same conversation
	r2()
	if id, _ := tr.Holder("CH1"); id != b {
		t.Fatal("releasing a's hold dropped b's")
	}
	rb()
	if _, ok := tr.Holder("CH1"); ok || tr.Holding() {
		t.Fatal("released subjects are still held")
	}
}

package inflight

import (
	"context"
	"testing"
	"time"
)

func TestWaitWhileAdding(t *testing.T) {
	var c Counter
	if err := c.Wait(context.Background()); err != nil {
		t.Fatal("idle counter should not block")
	}
	c.Add()
	go func() {
		c.Add() // more work added while someone waits
		c.Done()
		c.Done()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Wait(ctx); err != nil {
		t.Fatalf("Wait: %v", err)
	}
	c.Add()
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	if err := c.Wait(short); err == nil {
		t.Fatal("Wait returned while work was in flight")
	}
}

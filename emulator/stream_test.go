package emulator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	"github.com/flexemu/flexemu/emulator/timeline"
	"github.com/gorilla/websocket"
)

// TestStreamSendsTimelineLive watches the timeline over a real websocket
// while a customer message goes through, then checks the stream ends when
// the emulator closes.
func TestStreamSendsTimelineLive(t *testing.T) {
	emu := emulatortest.Run(t)
	wsURL := "ws" + strings.TrimPrefix(emu.URL(), "http") + emulator.ControlPrefix + "/stream?after=0"
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("dial %s: %v (%v)", wsURL, err, resp)
	}
	defer conn.Close()

	if _, err := emu.Account().Inbound(context.Background(), emulator.InboundParams{Body: "hello"}); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var last int64
	seen := map[string]bool{}
	for !seen["reservation.created"] {
		var e timeline.Entry
		if err := conn.ReadJSON(&e); err != nil {
			t.Fatalf("stream ended before reservation.created (saw %v): %v", seen, err)
		}
		if e.Seq <= last {
			t.Fatalf("entry %d after %d: out of order", e.Seq, last)
		}
		last = e.Seq
		seen[e.Type] = true
	}
	for _, want := range []string{"conversation.created", "message.created", "execution.created", "task.created"} {
		if !seen[want] {
			t.Errorf("stream never sent %s", want)
		}
	}
	_ = emu.Close()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			if websocket.IsUnexpectedCloseError(err, websocket.CloseGoingAway, websocket.CloseNormalClosure) && !strings.Contains(err.Error(), "EOF") {
				t.Fatalf("stream did not close cleanly: %v", err)
			}
			return
		}
	}
}

func TestStreamRejectsBadCursor(t *testing.T) {
	emu := emulatortest.Run(t)
	wsURL := "ws" + strings.TrimPrefix(emu.URL(), "http") + emulator.ControlPrefix + "/stream?after=soon"
	_, resp, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("dial with a bad cursor: %v, %v", err, resp)
	}
}

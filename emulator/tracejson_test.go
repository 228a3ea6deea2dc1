package emulator

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/timeline"
)

// The hand-written encoding writes exactly what encoding/json would.
func TestTraceJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 1, 5, 9, 0, 1, 123456789, time.UTC)
	nasty := "quote\" back\\ nl\n tab\t bs\b ff\f <b>&amp; \x01 \u2028\u2029 é 💬 bad\xff end"
	traces := []Trace{
		{},
		{ConversationSID: "CH1", ParticipantSID: "MB1", MessageSID: "IM1", MessageIndex: 3, CreatedConversation: true, Cause: 42,
			Entries: []timeline.Entry{
				{Seq: 1, Time: at, Kind: timeline.KindState, Product: "conversations", Type: "conversation.created", SID: "CH1",
					Refs: map[string]string{"z": "1", "a": nasty, "m": ""}, Summary: nasty, Cause: 42},
				{Seq: 2, Time: at.Add(time.Second), Kind: timeline.KindAPI, Product: "taskrouter", Type: "GET /v1/Workspaces"},
			},
			Truncated: true,
			Pending:   []PendingDelivery{{URL: "http://127.0.0.1:9/h?a=1&b=<2>", Event: "onMessageAdded"}}},
		{ConversationSID: nasty, Entries: []timeline.Entry{}},
	}
	for i, tr := range traces {
		got := tr.appendJSON(nil, nil)
		want, err := json.Marshal(&tr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("trace %d:\n got %s\nwant %s", i, got, want)
		}
		var back Trace
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("trace %d does not read back: %v", i, err)
		}
	}
}

func BenchmarkTraceJSON(b *testing.B) {
	e := timeline.Entry{Seq: 1, Time: time.Now(), Kind: timeline.KindState, Product: "taskrouter", Type: "reservation.created",
		SID: "WR0123456789abcdef0123456789abcdef", Summary: "reservation WR0123456789abcdef0123456789abcdef pending for alice",
		Refs: map[string]string{"task_sid": "WT0123456789abcdef0123456789abcdef", "worker_name": "alice", "workflow_name": "Assign to Anyone"}, Cause: 7}
	tr := Trace{ConversationSID: "CH0123456789abcdef0123456789abcdef", Entries: make([]timeline.Entry, 21)}
	for i := range tr.Entries {
		tr.Entries[i] = e
	}
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf = tr.appendJSON(buf[:0], nil)
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(&tr); err != nil {
				b.Fatal(err)
			}
		}
	})
}

package emulator

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/clock"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// traceTimeline holds one cause's chain of n entries (with awkward strings
// when nasty is set) among another cause's.
func traceTimeline(n int, nasty string) (*timeline.Timeline, cause.ID) {
	causes := cause.NewTracker()
	tl := timeline.New(clock.NewManual(time.Date(2026, 1, 5, 9, 0, 1, 123456789, time.UTC)), causes)
	mine, other := causes.New(), causes.New()
	for i := 0; i < n; i++ {
		tl.Append(timeline.Entry{Kind: timeline.KindState, Product: "taskrouter", Type: "reservation.created",
			SID: "WR0123456789abcdef0123456789abcdef", Summary: "reservation pending for alice " + nasty, Cause: mine,
			Refs: map[string]string{"task_sid": "WT0123456789abcdef0123456789abcdef", "worker_name": nasty, "workflow_name": "Assign to Anyone"}})
		tl.Append(timeline.Entry{Kind: timeline.KindAPI, Product: "studio", Type: "GET /v2/Flows", Cause: other})
	}
	tl.AppendPairs(timeline.Entry{Kind: timeline.KindAPI, Product: "flex", Type: "POST /v1/Interactions", Cause: mine},
		[]string{"status", "201"})
	return tl, mine
}

// The hand-written encoding writes exactly what encoding/json writes for
// the same trace with its entries read from the timeline.
func TestTraceJSONMatchesEncodingJSON(t *testing.T) {
	nasty := "quote\" back\\ nl\n tab\t bs\b ff\f <b>&amp; \x01 \u2028\u2029 é 💬 bad\xff end"
	tl, c := traceTimeline(3, nasty)
	for _, tc := range []struct {
		tr  Trace
		max int
	}{
		{Trace{}, 0},
		{Trace{ConversationSID: "CH1", ParticipantSID: "MB1", MessageSID: "IM1", MessageIndex: 3, CreatedConversation: true, Cause: c,
			Pending: []PendingDelivery{{URL: "http://127.0.0.1:9/h?a=1&b=<2>", Event: "onMessageAdded"}}}, 10},
		{Trace{ConversationSID: nasty, Cause: c}, 2},
	} {
		tr := tc.tr
		got := appendTraceJSON(&tr, nil, func(b []byte) ([]byte, bool) { return tl.AppendCausedJSON(b, 0, tr.Cause, tc.max) })
		tr.Entries, tr.Truncated = tl.Caused(0, tr.Cause, tc.max)
		want, err := json.Marshal(&tr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("trace of cause %d, max %d:\n got %s\nwant %s", tr.Cause, tc.max, got, want)
		}
		var back Trace
		if err := json.Unmarshal(got, &back); err != nil {
			t.Errorf("trace does not read back: %v", err)
		}
	}
}

// BenchmarkTraceJSON compares the control API's encoding of a typical
// chain (21 entries) with encoding/json's of the same trace.
func BenchmarkTraceJSON(b *testing.B) {
	tl, c := traceTimeline(21, "alice")
	tr := Trace{ConversationSID: "CH0123456789abcdef0123456789abcdef", Cause: c}
	b.Run("appendJSON", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for i := 0; i < b.N; i++ {
			buf = appendTraceJSON(&tr, buf[:0], func(b []byte) ([]byte, bool) { return tl.AppendCausedJSON(b, 0, c, MaxTraceEntries) })
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			t := tr
			t.Entries, t.Truncated = tl.Caused(0, c, MaxTraceEntries)
			if _, err := json.Marshal(&t); err != nil {
				b.Fatal(err)
			}
		}
	})
}

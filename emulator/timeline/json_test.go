package timeline

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/clock"
)

// AppendCausedJSON writes exactly what encoding/json writes for Caused's
// entries, for entries with map refs, pair refs, no refs, odd strings, and
// a truncated chain.
func TestAppendCausedJSONMatchesEncodingJSON(t *testing.T) {
	causes := cause.NewTracker()
	tl := New(clock.NewManual(time.Date(2026, 1, 5, 9, 0, 0, 123456789, time.UTC)), causes)
	a, b := causes.New(), causes.New()
	nasty := "quote\" back\\ nl\n bs\b ff\f <b>&amp; \x01 \x1f \u2028 é 💬 bad\xff"
	tl.Append(Entry{Kind: KindState, Product: "conversations", Type: "conversation.created", SID: "CH1",
		Refs: map[string]string{"z": "1", "a": nasty, "m": ""}, Summary: nasty, Cause: a})
	tl.Append(Entry{Kind: KindState, Product: "studio", Type: "other", Cause: b})
	tl.AppendPairs(Entry{Kind: KindAPI, Product: "taskrouter", Type: "GET /v1/Workspaces", Summary: "GET → OK", Cause: a},
		[]string{"status", "200"})
	tl.Append(Entry{Kind: KindWebhook, Type: "onMessageAdded", Cause: a})
	for _, max := range []int{10, 2} {
		entries, truncated := tl.Caused(0, a, max)
		want, err := json.Marshal(entries)
		if err != nil {
			t.Fatal(err)
		}
		got, gotTruncated := tl.AppendCausedJSON(nil, 0, a, max)
		if string(got) != string(want) || gotTruncated != truncated {
			t.Errorf("max %d:\n got %s (truncated %v)\nwant %s (truncated %v)", max, got, gotTruncated, want, truncated)
		}
	}
	if got, _ := tl.AppendCausedJSON(nil, tl.Last(), a, 10); string(got) != "[]" {
		t.Errorf("nothing after the last entry: %s", got)
	}
}

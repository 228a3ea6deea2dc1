package remote

import (
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/timeline"
)

func TestPrintTraceOutcome(t *testing.T) {
	task := timeline.Entry{Kind: timeline.KindState, Product: "taskrouter", Type: "task.created", SID: "WT1",
		Summary: "task WT1 created", Refs: map[string]string{"workflow_name": "Assign to Anyone"}}
	queued := timeline.Entry{Kind: timeline.KindState, Product: "taskrouter", Type: "task-queue.entered", SID: "WT1",
		Summary: "task WT1 entered queue Everyone", Refs: map[string]string{"task_sid": "WT1", "workflow_name": "Assign to Anyone", "task_queue_name": "Everyone"}}
	reserved := timeline.Entry{Kind: timeline.KindState, Product: "taskrouter", Type: "reservation.created", SID: "WR1",
		Summary: "reservation WR1 pending", Refs: map[string]string{"task_sid": "WT1", "workflow_name": "Assign to Anyone",
			"task_queue_name": "Everyone", "worker_name": "alice"}}
	api := timeline.Entry{Kind: timeline.KindAPI, Product: "taskrouter", Type: "GET /v1/Workspaces", Summary: "GET"}
	cases := []struct {
		name string
		tr   controlapi.Trace
		want string
	}{
		{"reserved", controlapi.Trace{ConversationSID: "CH1", CreatedConversation: true, Entries: []timeline.Entry{api, task, queued, reserved}},
			`Result: task WT1 in workflow "Assign to Anyone" → queue "Everyone" → reservation WR1 pending for worker "alice"`},
		{"waiting", controlapi.Trace{ConversationSID: "CH1", CreatedConversation: true, Entries: []timeline.Entry{task, queued}},
			`Result: task WT1 in workflow "Assign to Anyone" is waiting in queue "Everyone" (no eligible worker is available)`},
		{"no flex", controlapi.Trace{ConversationSID: "CH1", CreatedConversation: true},
			"Result: conversation CH1 created; nothing routed it to Flex (yet)"},
		{"existing conversation", controlapi.Trace{ConversationSID: "CH1", MessageIndex: 3},
			"Result: message #3 added to the existing conversation CH1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			PrintTrace(&b, &c.tr)
			out := b.String()
			if !strings.HasSuffix(out, c.want+"\n") {
				t.Fatalf("trace ends with\n%s\nwant\n%s", out, c.want)
			}
			if strings.Contains(out, "GET /v1/Workspaces") {
				t.Fatal("API-call entries belong in the timeline, not in the trace")
			}
		})
	}
}

func TestPrintTracePending(t *testing.T) {
	tr := controlapi.Trace{ConversationSID: "CH1", MessageIndex: 1,
		Pending: []controlapi.PendingDelivery{{URL: "http://127.0.0.1:9/hook", Event: "onMessageAdded"}}}
	var b strings.Builder
	PrintTrace(&b, &tr)
	if out := b.String(); !strings.Contains(out, "onMessageAdded") || !strings.Contains(out, "http://127.0.0.1:9/hook") ||
		!strings.Contains(out, "still unanswered") {
		t.Fatalf("a pending webhook is not shown:\n%s", out)
	}
}

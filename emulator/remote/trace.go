package remote

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"io"
	"strings"

	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// PrintTrace writes a trace as readable hops, one line per state change or
// webhook, grouped by product, skipping raw API-call entries.
func PrintTrace(w io.Writer, tr *controlapi.Trace) {
	if tr.CreatedConversation {
		fmt.Fprintf(w, "new conversation %s\n", tr.ConversationSID)
	} else {
		fmt.Fprintf(w, "existing conversation %s\n", tr.ConversationSID)
	}
	last := ""
	for _, e := range tr.Entries {
		if e.Kind == timeline.KindAPI {
			continue
		}
		if e.Product != last {
			fmt.Fprintf(w, "%s\n", strings.ToUpper(e.Product[:1])+e.Product[1:])
			last = e.Product
		}
		arrow := "  →"
		if e.Kind == timeline.KindWebhook {
			arrow = "  ↗"
		}
		fmt.Fprintf(w, "%s %-28s %s%s\n", arrow, e.Type, e.Summary, refs(e))
	}
	for _, p := range tr.Pending {
		fmt.Fprintf(w, "  … %-28s → %s still unanswered after 2 s; delivery goes on (see the timeline)\n", p.Event, p.URL)
	}
	if tr.Truncated {
		fmt.Fprintf(w, "  … more entries on the timeline under cause %d\n", tr.Cause)
	}
	if line := outcome(tr); line != "" {
		fmt.Fprintf(w, "%s\n", line)
	}
}

// outcome is the one line a developer looks for: where the message ended up.
func outcome(tr *controlapi.Trace) string {
	var task, queue, res *timeline.Entry
	for i := range tr.Entries {
		e := &tr.Entries[i]
		switch eventtype.TaskRouter(e.Type) {
		case eventtype.TaskCreated:
			task = e
		case eventtype.TaskQueueEntered:
			queue = e
		case eventtype.ReservationCreated:
			res = e
		}
	}
	switch {
	case res != nil:
		return fmt.Sprintf("Result: task %s in workflow %q → queue %q → reservation %s pending for worker %q",
			res.Refs["task_sid"], res.Refs["workflow_name"], res.Refs["task_queue_name"], res.SID, res.Refs["worker_name"])
	case queue != nil:
		return fmt.Sprintf("Result: task %s in workflow %q is waiting in queue %q (no eligible worker is available)",
			queue.Refs["task_sid"], queue.Refs["workflow_name"], queue.Refs["task_queue_name"])
	case task != nil:
		return fmt.Sprintf("Result: task %s created in workflow %q", task.SID, task.Refs["workflow_name"])
	case tr.CreatedConversation:
		return "Result: conversation " + tr.ConversationSID + " created; nothing routed it to Flex (yet)"
	}
	return fmt.Sprintf("Result: message #%d added to the existing conversation %s", tr.MessageIndex, tr.ConversationSID)
}

// refs names the entry's resource when the summary does not already.
func refs(e timeline.Entry) string {
	if e.SID == "" || strings.Contains(e.Summary, e.SID) {
		return ""
	}
	return "  [" + e.SID + "]"
}

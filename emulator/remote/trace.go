package remote

import (
	"fmt"
	"io"
	"strings"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/timeline"
)

// PrintTrace writes a trace as readable hops, one line per state change or
// webhook, grouped by product, skipping raw API-call entries.
func PrintTrace(w io.Writer, tr *emulator.Trace) {
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
}

// refs names the entry's resource when the summary does not already.
func refs(e timeline.Entry) string {
	if e.SID == "" || strings.Contains(e.Summary, e.SID) {
		return ""
	}
	return "  [" + e.SID + "]"
}

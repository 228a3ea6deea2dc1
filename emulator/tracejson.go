package emulator

import (
	"strconv"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// appendJSON writes the trace as encoding/json would (same fields, same
// order, refs keys sorted, HTML-safe escaping) without reflection: every
// inbound message's answer is a trace, so under load its encoding is a good
// part of the control API's cost (BenchmarkTraceJSON). It is not a
// MarshalJSON method, which encoding/json would validate again, costing
// more than it saves. entries appends the entries array, straight from the
// timeline (Timeline.AppendCausedJSON), and reports truncation.
func appendTraceJSON(tr *Trace, b []byte, entries func([]byte) ([]byte, bool)) []byte {
	b = append(b, `{"conversation_sid":`...)
	b = twilio.AppendJSONString(b, tr.ConversationSID)
	b = append(b, `,"participant_sid":`...)
	b = twilio.AppendJSONString(b, tr.ParticipantSID)
	b = append(b, `,"message_sid":`...)
	b = twilio.AppendJSONString(b, tr.MessageSID)
	b = append(b, `,"message_index":`...)
	b = strconv.AppendInt(b, int64(tr.MessageIndex), 10)
	b = append(b, `,"created_conversation":`...)
	b = strconv.AppendBool(b, tr.CreatedConversation)
	b = append(b, `,"cause":`...)
	b = strconv.AppendUint(b, uint64(tr.Cause), 10)
	b = append(b, `,"entries":`...)
	b, truncated := entries(b)
	if truncated {
		b = append(b, `,"truncated":true`...)
	}
	if len(tr.Pending) > 0 {
		b = append(b, `,"pending":[`...)
		for i, p := range tr.Pending {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"url":`...)
			b = twilio.AppendJSONString(b, p.URL)
			b = append(b, `,"event":`...)
			b = twilio.AppendJSONString(b, p.Event)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

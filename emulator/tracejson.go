package emulator

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/flexemu/flexemu/emulator/timeline"
)

// appendJSON writes the trace as encoding/json would (same fields, same
// order, refs keys sorted, HTML-safe escaping) without reflection: every
// inbound message's answer is a trace, so under load its encoding is a good
// part of the control API's cost (29 µs instead of 72 µs for a typical
// chain, BenchmarkTraceJSON). It is not a MarshalJSON method, which
// encoding/json would validate again, costing more than it saves.
func (tr *Trace) appendJSON(b []byte) []byte {
	b = append(b, `{"conversation_sid":`...)
	b = appendJSONString(b, tr.ConversationSID)
	b = append(b, `,"participant_sid":`...)
	b = appendJSONString(b, tr.ParticipantSID)
	b = append(b, `,"message_sid":`...)
	b = appendJSONString(b, tr.MessageSID)
	b = append(b, `,"message_index":`...)
	b = strconv.AppendInt(b, int64(tr.MessageIndex), 10)
	b = append(b, `,"created_conversation":`...)
	b = strconv.AppendBool(b, tr.CreatedConversation)
	b = append(b, `,"cause":`...)
	b = strconv.AppendUint(b, uint64(tr.Cause), 10)
	b = append(b, `,"entries":`...)
	if tr.Entries == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range tr.Entries {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendEntry(b, &tr.Entries[i])
		}
		b = append(b, ']')
	}
	if tr.Truncated {
		b = append(b, `,"truncated":true`...)
	}
	if len(tr.Pending) > 0 {
		b = append(b, `,"pending":[`...)
		for i, p := range tr.Pending {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"url":`...)
			b = appendJSONString(b, p.URL)
			b = append(b, `,"event":`...)
			b = appendJSONString(b, p.Event)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func appendEntry(b []byte, e *timeline.Entry) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"time":"`...)
	b = e.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","kind":`...)
	b = appendJSONString(b, string(e.Kind))
	b = append(b, `,"product":`...)
	b = appendJSONString(b, e.Product)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, e.Type)
	if e.SID != "" {
		b = append(b, `,"sid":`...)
		b = appendJSONString(b, e.SID)
	}
	if len(e.Refs) > 0 {
		var buf [16]string
		keys := buf[:0]
		for k := range e.Refs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, `,"refs":{`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, k)
			b = append(b, ':')
			b = appendJSONString(b, e.Refs[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"summary":`...)
	b = appendJSONString(b, e.Summary)
	if e.Cause != 0 {
		b = append(b, `,"cause":`...)
		b = strconv.AppendUint(b, uint64(e.Cause), 10)
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString quotes s as encoding/json does: control characters,
// quotes and backslashes escaped, <, > and & as \u00XX (HTML-safe), invalid
// UTF-8 as U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

package timeline

import (
	"strconv"
	"time"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// AppendCausedJSON appends, as a JSON array, what Caused(seq, id, max)
// returns, encoded straight from the stored records: the control API's
// traces cost no Entry, no map and no reflection. It reports whether
// entries were left out.
func (t *Timeline) AppendCausedJSON(b []byte, seq int64, id cause.ID, max int) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	b = append(b, '[')
	n := 0
	for i := t.startIndex(seq); i < t.store.n; i++ {
		r := t.store.at(i)
		if r.cause != id {
			continue
		}
		if n == max {
			return append(b, ']'), true
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = t.store.appendJSON(b, r, t.first+int64(i))
		n++
	}
	return append(b, ']'), false
}

// appendJSON encodes a record as AppendEntryJSON encodes its Entry: a
// shape's keys are sorted already, and pairs are kept sorted by key.
func (s *store) appendJSON(b []byte, r *record, seq int64) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"time":"`...)
	b = time.Unix(0, r.at).UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","kind":`...)
	b = twilio.AppendJSONString(b, s.names[r.kind])
	b = append(b, `,"product":`...)
	b = twilio.AppendJSONString(b, s.names[r.product])
	b = append(b, `,"type":`...)
	b = twilio.AppendJSONString(b, r.typ)
	if r.sid != "" {
		b = append(b, `,"sid":`...)
		b = twilio.AppendJSONString(b, r.sid)
	}
	if len(r.vals) > 0 {
		b = append(b, `,"refs":{`...)
		if r.shape == pairsShape {
			for i := 0; i+1 < len(r.vals); i += 2 {
				if i > 0 {
					b = append(b, ',')
				}
				b = twilio.AppendJSONString(b, r.vals[i])
				b = append(b, ':')
				b = twilio.AppendJSONString(b, r.vals[i+1])
			}
		} else {
			for i, k := range s.shapes[r.shape] {
				if i > 0 {
					b = append(b, ',')
				}
				b = twilio.AppendJSONString(b, k)
				b = append(b, ':')
				b = twilio.AppendJSONString(b, r.vals[i])
			}
		}
		b = append(b, '}')
	}
	b = append(b, `,"summary":`...)
	b = twilio.AppendJSONString(b, r.summary)
	if r.cause != 0 {
		b = append(b, `,"cause":`...)
		b = strconv.AppendUint(b, uint64(r.cause), 10)
	}
	return append(b, '}')
}

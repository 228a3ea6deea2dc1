package twilio

import (
	"bytes"
	"encoding/json"
)

type kv struct {
	k string
	v any
}

// marshalOrdered writes a JSON object with keys in the given order, so list
// envelopes read like Twilio's (items first, then meta).
func marshalOrdered(fields []kv) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range fields {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.k)
		b.Write(k)
		b.WriteByte(':')
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

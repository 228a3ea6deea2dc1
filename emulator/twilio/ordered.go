package twilio

import (
	"encoding/json"
)

// jsonAppender is a response body that renders its own JSON onto a buffer.
// Mount uses it instead of json.Marshal, which would re-scan and copy the
// whole output of a MarshalJSON method (list pages are most of the bytes a
// GET list answers).
type jsonAppender interface {
	appendJSON(dst []byte) ([]byte, error)
}

// jsonBuf collects a json.Encoder's output on a byte slice.
type jsonBuf struct{ b []byte }

func (j *jsonBuf) Write(p []byte) (int, error) {
	j.b = append(j.b, p...)
	return len(p), nil
}

// encode appends v as json.Marshal renders it (Encode adds a newline, which
// is dropped).
func (j *jsonBuf) encode(enc *json.Encoder, v any) error {
	if err := enc.Encode(v); err != nil {
		return err
	}
	j.b = j.b[:len(j.b)-1]
	return nil
}

// appendOrdered appends a JSON object with two keys in the given order, so
// list envelopes read like Twilio's (items first, then meta).
func appendOrdered(dst []byte, k1 string, v1 any, k2 string, v2 any) ([]byte, error) {
	j := &jsonBuf{b: dst}
	enc := json.NewEncoder(j)
	j.b = append(j.b, '{')
	for i, f := range [2]struct {
		k string
		v any
	}{{k1, v1}, {k2, v2}} {
		if i > 0 {
			j.b = append(j.b, ',')
		}
		if plainKey(f.k) {
			j.b = append(append(append(j.b, '"'), f.k...), '"')
		} else if err := j.encode(enc, f.k); err != nil {
			return dst, err
		}
		j.b = append(j.b, ':')
		if err := j.encode(enc, f.v); err != nil {
			return dst, err
		}
	}
	return append(j.b, '}'), nil
}

// plainKey reports whether k is written as is between quotes, as every
// list key ("workspaces", "meta") is: letters, digits and underscores.
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if c := k[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

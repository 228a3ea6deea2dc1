package twilio

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// DecodeValidJSON decodes JSON text already known to be valid (json.Valid)
// into the value encoding/json decodes it to as an any (map[string]any,
// []any, string, float64, bool, nil; reflect.DeepEqual), faster: the keys
// and string values are slices of text instead of copies, and every object
// and array is allocated at its final size. ok is false where encoding/json
// would fail (a number out of float64 range).
func DecodeValidJSON(text string) (v any, ok bool) {
	d := sharedDecoder{s: text}
	return d.value()
}

// sharedDecoder decodes JSON text already known to be valid into the values
// encoding/json produces for an any (map[string]any, []any, string,
// float64, bool, nil), sharing the text's bytes.
type sharedDecoder struct {
	s   string
	i   int
	kvs []sharedKV // pending members of the objects being decoded
}

type sharedKV struct {
	k string
	v any
}

func (d *sharedDecoder) space() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// value decodes the value at d.i; ok is false where encoding/json would
// fail (a number out of float64 range).
func (d *sharedDecoder) value() (any, bool) {
	d.space()
	switch c := d.s[d.i]; c {
	case '{':
		d.i++
		base := len(d.kvs)
		for {
			d.space()
			if d.s[d.i] == '}' {
				d.i++
				break
			}
			k := d.str()
			d.space()
			d.i++ // ':'
			v, ok := d.value()
			if !ok {
				return nil, false
			}
			d.kvs = append(d.kvs, sharedKV{k, v})
			d.space()
			if d.s[d.i] == ',' {
				d.i++
			}
		}
		kvs := d.kvs[base:]
		m := make(map[string]any, len(kvs))
		for _, kv := range kvs {
			m[kv.k] = kv.v // a repeated key: the last one wins, as in encoding/json
		}
		clear(kvs)
		d.kvs = d.kvs[:base]
		return m, true
	case '[':
		d.i++
		var vals []any
		for {
			d.space()
			if d.s[d.i] == ']' {
				d.i++
				break
			}
			v, ok := d.value()
			if !ok {
				return nil, false
			}
			vals = append(vals, v)
			d.space()
			if d.s[d.i] == ',' {
				d.i++
			}
		}
		return append(make([]any, 0, len(vals)), vals...), true
	case '"':
		return d.str(), true
	case 't':
		d.i += 4
		return true, true
	case 'f':
		d.i += 5
		return false, true
	case 'n':
		d.i += 4
		return nil, true
	default:
		start := d.i
		for d.i < len(d.s) {
			if c := d.s[d.i]; (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
				break
			}
			d.i++
		}
		f, err := strconv.ParseFloat(d.s[start:d.i], 64)
		if err != nil {
			return nil, false
		}
		return f, true
	}
}

// str decodes the string literal at d.i: a slice of the text when it has
// no escapes and is valid UTF-8, else what encoding/json makes of it.
func (d *sharedDecoder) str() string {
	start := d.i
	d.i++
	plain := true
	for {
		c := d.s[d.i]
		if c == '"' {
			break
		}
		if c == '\\' {
			plain = false
			d.i++ // skip the escaped byte (\" included)
		}
		d.i++
	}
	d.i++
	lit := d.s[start:d.i]
	if body := lit[1 : len(lit)-1]; plain && utf8.ValidString(body) {
		return body
	}
	var s string
	_ = json.Unmarshal([]byte(lit), &s) // valid: checked by json.Valid
	return s
}

// DecodeStrict decodes exactly one JSON value into v, refusing fields v
// does not have and anything after the value: for state that must match
// its shape exactly (snapshots), never be half-read.
func DecodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

package studio

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"sort"
)

// frozen is an immutable JSON-shaped value (a map[string]any tree, the
// flow.variables or widgets of an execution context at one step) stored
// compactly: the tree's shape, numbers and short strings in one string, long
// strings and values of types the encoding does not know by reference.
// thaw rebuilds an equal tree with the same Go types (reflect.DeepEqual), so
// what the API marshals is unchanged, at a fraction of the memory of the
// maps (an empty map alone costs 48 bytes, one with a single key 300).
type frozen struct {
	enc   string
	strs  []string // strings longer than inlineString, shared with the live tree
	other []any    // values of other types, shared as deepCopy shares them
}

// inlineString is the longest string copied into the encoding; longer ones
// (an HTTP widget's response body) are shared, never copied per step.
const inlineString = 64

// Encoding tags.
const (
	tagNil byte = iota
	tagFalse
	tagTrue
	tagString // uvarint length, bytes
	tagStrRef // uvarint index into strs
	tagFloat  // 8 bytes, little endian IEEE 754
	tagInt    // varint
	tagInt64  // varint
	tagNumber // json.Number: uvarint length, bytes
	tagMap    // uvarint count, then count × (uvarint key length, key, value)
	tagList   // uvarint count, then count values
	tagOther  // uvarint index into other
)

// freeze encodes m; a nil or empty map freezes to nil.
func freeze(m map[string]any) *frozen {
	if len(m) == 0 {
		return nil
	}
	f := &frozen{}
	var buf []byte
	buf = f.appendValue(buf, m)
	f.enc = string(buf)
	return f
}

// thaw returns a fresh copy of the frozen map (an empty map for nil).
func (f *frozen) thaw() map[string]any {
	if f == nil {
		return map[string]any{}
	}
	d := thawer{f: f, b: f.enc}
	m, _ := d.value().(map[string]any)
	return m
}

func (f *frozen) appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, tagNil)
	case bool:
		if x {
			return append(b, tagTrue)
		}
		return append(b, tagFalse)
	case string:
		if len(x) > inlineString {
			f.strs = append(f.strs, x)
			return binary.AppendUvarint(append(b, tagStrRef), uint64(len(f.strs)-1))
		}
		b = binary.AppendUvarint(append(b, tagString), uint64(len(x)))
		return append(b, x...)
	case float64:
		return binary.LittleEndian.AppendUint64(append(b, tagFloat), math.Float64bits(x))
	case int:
		return binary.AppendVarint(append(b, tagInt), int64(x))
	case int64:
		return binary.AppendVarint(append(b, tagInt64), x)
	case json.Number:
		b = binary.AppendUvarint(append(b, tagNumber), uint64(len(x)))
		return append(b, x...)
	case map[string]any:
		if x == nil {
			break // a typed nil map stays itself
		}
		b = binary.AppendUvarint(append(b, tagMap), uint64(len(x)))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic encodings
		for _, k := range keys {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = f.appendValue(b, x[k])
		}
		return b
	case []any:
		if x == nil {
			break
		}
		b = binary.AppendUvarint(append(b, tagList), uint64(len(x)))
		for _, e := range x {
			b = f.appendValue(b, e)
		}
		return b
	}
	f.other = append(f.other, v)
	return binary.AppendUvarint(append(b, tagOther), uint64(len(f.other)-1))
}

// thawer decodes a frozen encoding.
type thawer struct {
	f *frozen
	b string
}

func (d *thawer) uvarint() uint64 {
	var n uint64
	var shift uint
	for i := 0; ; i++ {
		c := d.b[i]
		n |= uint64(c&0x7f) << shift
		if c < 0x80 {
			d.b = d.b[i+1:]
			return n
		}
		shift += 7
	}
}

func (d *thawer) varint() int64 {
	u := d.uvarint()
	n := int64(u >> 1)
	if u&1 != 0 {
		n = ^n
	}
	return n
}

func (d *thawer) str() string {
	n := int(d.uvarint())
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *thawer) value() any {
	tag := d.b[0]
	d.b = d.b[1:]
	switch tag {
	case tagNil:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagString:
		return d.str()
	case tagStrRef:
		return d.f.strs[d.uvarint()]
	case tagFloat:
		var bits uint64
		for i := 7; i >= 0; i-- {
			bits = bits<<8 | uint64(d.b[i])
		}
		d.b = d.b[8:]
		return math.Float64frombits(bits)
	case tagInt:
		return int(d.varint())
	case tagInt64:
		return d.varint()
	case tagNumber:
		return json.Number(d.str())
	case tagMap:
		n := int(d.uvarint())
		m := make(map[string]any, n)
		for i := 0; i < n; i++ {
			k := d.str()
			m[k] = d.value()
		}
		return m
	case tagList:
		l := make([]any, int(d.uvarint()))
		for i := range l {
			l[i] = d.value()
		}
		return l
	case tagOther:
		return d.f.other[d.uvarint()]
	}
	panic("studio: corrupt frozen context")
}

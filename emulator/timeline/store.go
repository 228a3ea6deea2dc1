package timeline

import (
	"slices"
	"time"

	"github.com/flexemu/flexemu/emulator/cause"
)

// How entries are stored. A full timeline holds tens of thousands of
// entries, so each is kept small (measured with `make heap`): no sequence
// number (its position gives it), the time as nanoseconds, kind and product
// as indexes into a table of the few names they take, and refs as their
// values alone, in the order of an interned key list (a "shape"), since the
// engines record the same keys again and again. Records live in fixed-size
// chunks: no growth slack, and the oldest go a chunk at a time.

const chunkSize = 256

// pairsShape marks refs kept as key, value pairs (AppendPairs, or a full
// shape table).
const pairsShape = 0xFFFF

// maxShapes and maxNames bound the intern tables: refs keys and products
// come from code, so real timelines use a few dozen.
const (
	maxShapes = 4096
	maxNames  = 255
)

type record struct {
	at      int64
	cause   cause.ID
	typ     string
	sid     string
	summary string
	vals    []string
	shape   uint16
	kind    uint8
	product uint8
	size    uint32
}

// recordOverhead approximates a record's fixed cost (the struct and its
// share of a chunk) for the byte bound; refs cost 32 bytes each on top.
const recordOverhead = 96

// store is the timeline's memory; every method is called with t.mu held.
type store struct {
	chunks [][]record
	off    int // records already dropped from chunks[0]
	n      int // records held

	names    []string // kinds and products
	nameIdx  map[string]uint8
	shapes   [][]string
	shapeIdx map[string]uint16
	keyBuf   []byte
}

func (s *store) name(v string) uint8 {
	if i, ok := s.nameIdx[v]; ok {
		return i
	}
	if s.nameIdx == nil {
		s.names, s.nameIdx = []string{""}, map[string]uint8{"": 0}
		if v == "" {
			return 0
		}
	}
	if len(s.names) >= maxNames {
		return 0 // beyond any real use: the name reads back empty
	}
	s.names = append(s.names, v)
	s.nameIdx[v] = uint8(len(s.names) - 1)
	return uint8(len(s.names) - 1)
}

// shape interns the sorted key list keys.
func (s *store) shape(keys []string) (uint16, bool) {
	s.keyBuf = s.keyBuf[:0]
	for _, k := range keys {
		s.keyBuf = append(s.keyBuf, k...)
		s.keyBuf = append(s.keyBuf, 0)
	}
	if i, ok := s.shapeIdx[string(s.keyBuf)]; ok {
		return i, true
	}
	if len(s.shapes) >= maxShapes {
		return 0, false
	}
	if s.shapeIdx == nil {
		s.shapeIdx = map[string]uint16{}
	}
	s.shapes = append(s.shapes, slices.Clone(keys))
	i := uint16(len(s.shapes) - 1)
	s.shapeIdx[string(s.keyBuf)] = i
	return i, true
}

// record builds the stored form of e (its Seq is not kept).
func (s *store) record(e Entry) record {
	r := record{at: e.Time.UnixNano(), cause: e.Cause, typ: e.Type, sid: e.SID, summary: e.Summary,
		kind: s.name(string(e.Kind)), product: s.name(e.Product)}
	if len(e.Refs) > 0 {
		var buf [8]string
		keys := buf[:0]
		for k := range e.Refs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if id, ok := s.shape(keys); ok {
			r.shape = id
			r.vals = make([]string, len(keys))
			for i, k := range keys {
				r.vals[i] = e.Refs[k]
			}
		} else {
			r.shape = pairsShape
			r.vals = make([]string, 0, 2*len(keys))
			for _, k := range keys {
				r.vals = append(r.vals, k, e.Refs[k])
			}
		}
	}
	r.size = uint32(recordOverhead + len(r.typ) + len(r.summary) + 32*len(e.Refs))
	return r
}

// pairsRecord builds the stored form of e with refs given as sorted pairs,
// kept as they are.
func (s *store) pairsRecord(e Entry, pairs []string) record {
	r := record{at: e.Time.UnixNano(), cause: e.Cause, typ: e.Type, sid: e.SID, summary: e.Summary,
		kind: s.name(string(e.Kind)), product: s.name(e.Product)}
	if n := len(pairs) &^ 1; n > 0 {
		r.shape, r.vals = pairsShape, pairs[:n:n]
	}
	r.size = uint32(recordOverhead + len(r.typ) + len(r.summary) + 16*len(r.vals))
	return r
}

func (s *store) entry(r *record, seq int64) Entry {
	e := Entry{Seq: seq, Time: time.Unix(0, r.at).UTC(), Cause: r.cause, Kind: Kind(s.names[r.kind]),
		Product: s.names[r.product], Type: r.typ, SID: r.sid, Summary: r.summary}
	switch {
	case len(r.vals) == 0:
	case r.shape == pairsShape:
		e.Refs = make(map[string]string, len(r.vals)/2)
		for i := 0; i+1 < len(r.vals); i += 2 {
			e.Refs[r.vals[i]] = r.vals[i+1]
		}
	default:
		keys := s.shapes[r.shape]
		e.Refs = make(map[string]string, len(keys))
		for i, k := range keys {
			e.Refs[k] = r.vals[i]
		}
	}
	return e
}

// at returns the i-th record held (0 is the oldest).
func (s *store) at(i int) *record {
	j := s.off + i
	return &s.chunks[j/chunkSize][j%chunkSize]
}

func (s *store) push(r record) {
	j := s.off + s.n
	if j/chunkSize == len(s.chunks) {
		s.chunks = append(s.chunks, make([]record, chunkSize))
	}
	s.chunks[j/chunkSize][j%chunkSize] = r
	s.n++
}

// dropOldest forgets the oldest record and returns its size.
func (s *store) dropOldest() int {
	r := &s.chunks[0][s.off]
	size := int(r.size)
	*r = record{}
	s.off++
	s.n--
	if s.off == chunkSize {
		s.chunks[0] = nil
		s.chunks = s.chunks[1:]
		s.off = 0
	}
	return size
}

func (s *store) reset() {
	s.chunks, s.off, s.n = nil, 0, 0
}

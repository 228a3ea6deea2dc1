package taskrouter

import "slices"

// olist is an ordered set kept as a list of sorted chunks (in the manner of
// a B-tree's leaves): insertion and removal cost a binary search plus a
// memmove within one chunk, never a shift of the whole set, and in-order
// iteration is a plain walk over the chunks. It backs the routing indexes,
// where a queue may hold 100,000 waiting tasks.
//
// less must be a strict total order over the values in the set, and a
// value's ordering key must not change while it is in the set (remove it,
// change the key, insert it again).
type olist[T comparable] struct {
	less   func(a, b T) bool
	chunks [][]T
	n      int
}

const (
	olistSplit = 256 // a chunk reaching this length splits in two
	olistMerge = 32  // a chunk shrinking below this merges with its successor if they fit
)

func newOlist[T comparable](less func(a, b T) bool) olist[T] { return olist[T]{less: less} }

// Len is the number of values in the set.
func (l *olist[T]) Len() int { return l.n }

// first returns the smallest value.
func (l *olist[T]) first() (T, bool) {
	if l.n == 0 {
		var zero T
		return zero, false
	}
	return l.chunks[0][0], true
}

// chunkFor returns the first chunk whose last value is not before x, or the
// last chunk when x comes after everything.
func (l *olist[T]) chunkFor(x T) int {
	lo, hi := 0, len(l.chunks)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		c := l.chunks[mid]
		if l.less(c[len(c)-1], x) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo == len(l.chunks) {
		lo--
	}
	return lo
}

// lowerBound is the index of the first value in c not before x.
func (l *olist[T]) lowerBound(c []T, x T) int {
	lo, hi := 0, len(c)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if l.less(c[mid], x) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// insert adds x (which must not be in the set).
func (l *olist[T]) insert(x T) {
	l.n++
	if len(l.chunks) == 0 {
		c := make([]T, 1, 8)
		c[0] = x
		l.chunks = append(l.chunks, c)
		return
	}
	ci := l.chunkFor(x)
	c := l.chunks[ci]
	c = slices.Insert(c, l.lowerBound(c, x), x)
	if len(c) < olistSplit {
		l.chunks[ci] = c
		return
	}
	h := len(c) / 2
	upper := make([]T, len(c)-h, olistSplit)
	copy(upper, c[h:])
	clear(c[h:]) // drop references held past the new length
	l.chunks[ci] = c[:h]
	l.chunks = slices.Insert(l.chunks, ci+1, upper)
}

// remove deletes x and reports whether it was present.
func (l *olist[T]) remove(x T) bool {
	if l.n == 0 {
		return false
	}
	ci := l.chunkFor(x)
	c := l.chunks[ci]
	i := l.lowerBound(c, x)
	if i >= len(c) || c[i] != x {
		// Not where its key says: only possible if the key changed while
		// stored (a bug elsewhere). Fall back to a scan so the set stays sound.
		ci, i = l.scan(x)
		if ci < 0 {
			return false
		}
	}
	l.deleteAt(ci, i)
	return true
}

func (l *olist[T]) scan(x T) (int, int) {
	for ci, c := range l.chunks {
		if i := slices.Index(c, x); i >= 0 {
			return ci, i
		}
	}
	return -1, -1
}

func (l *olist[T]) deleteAt(ci, i int) {
	l.n--
	c := slices.Delete(l.chunks[ci], i, i+1) // zeroes the vacated slot
	switch {
	case len(c) == 0:
		l.chunks = slices.Delete(l.chunks, ci, ci+1)
		if len(l.chunks) == 0 {
			l.chunks = nil
		}
	case len(c) < olistMerge && ci+1 < len(l.chunks) && len(c)+len(l.chunks[ci+1]) < olistSplit:
		next := l.chunks[ci+1]
		l.chunks[ci] = append(c, next...)
		clear(next)
		l.chunks = slices.Delete(l.chunks, ci+1, ci+2)
	default:
		l.chunks[ci] = c
	}
}

// contains reports whether x is in the set (by its key, then identity).
func (l *olist[T]) contains(x T) bool {
	if l.n == 0 {
		return false
	}
	c := l.chunks[l.chunkFor(x)]
	i := l.lowerBound(c, x)
	return i < len(c) && c[i] == x
}

// after returns the position (chunk, index) of the first value after x,
// which must be in the set; the chunk index is len(chunks) at the end.
func (l *olist[T]) after(x T) (int, int) {
	ci := l.chunkFor(x)
	c := l.chunks[ci]
	i := l.lowerBound(c, x) + 1
	if i >= len(c) {
		return ci + 1, 0
	}
	return ci, i
}

// appendTo appends the values in order to dst.
func (l *olist[T]) appendTo(dst []T) []T {
	for _, c := range l.chunks {
		dst = append(dst, c...)
	}
	return dst
}

// resort rebuilds the set after less changed meaning (a queue switching
// between FIFO and LIFO).
func (l *olist[T]) resort() {
	all := l.appendTo(make([]T, 0, l.n))
	slices.SortStableFunc(all, func(a, b T) int {
		switch {
		case l.less(a, b):
			return -1
		case l.less(b, a):
			return 1
		}
		return 0
	})
	l.chunks, l.n = nil, 0
	for i := 0; i < len(all); i += olistSplit / 2 {
		end := min(i+olistSplit/2, len(all))
		c := make([]T, end-i, olistSplit)
		copy(c, all[i:end])
		l.chunks = append(l.chunks, c)
		l.n += end - i
	}
}

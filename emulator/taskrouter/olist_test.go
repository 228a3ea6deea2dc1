package taskrouter

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestOlistMatchesSortedSlice drives olist with random inserts, removals
// and re-sorts across chunk splits and merges, and compares it with a
// plainly sorted slice after every step.
func TestOlistMatchesSortedSlice(t *testing.T) {
	type item struct{ key, id int }
	desc := false
	less := func(a, b *item) bool {
		if a.key != b.key {
			if desc {
				return a.key > b.key
			}
			return a.key < b.key
		}
		return a.id < b.id
	}
	cmp := func(a, b *item) int {
		if less(a, b) {
			return -1
		}
		if less(b, a) {
			return 1
		}
		return 0
	}
	rng := rand.New(rand.NewPCG(1, 2))
	l := newOlist(less)
	var ref []*item
	for step := range 5000 {
		switch op := rng.IntN(10); {
		case op < 6 || len(ref) == 0:
			x := &item{key: rng.IntN(50), id: step}
			l.insert(x)
			ref = append(ref, x)
		case op < 9:
			i := rng.IntN(len(ref))
			if !l.remove(ref[i]) {
				t.Fatalf("step %d: remove of a present value failed", step)
			}
			ref = slices.Delete(ref, i, i+1)
			if l.remove(&item{key: 1, id: -1}) {
				t.Fatalf("step %d: removed an absent value", step)
			}
		default:
			desc = !desc
			l.resort()
		}
		if step%101 == 0 || step == 4999 {
			slices.SortFunc(ref, cmp)
			got := l.appendTo(nil)
			if !slices.Equal(got, ref) || l.Len() != len(ref) {
				t.Fatalf("step %d: list has %d values (Len %d), reference %d, or order differs", step, len(got), l.Len(), len(ref))
			}
			if len(ref) > 0 {
				if f, _ := l.first(); f != ref[0] || !l.contains(ref[len(ref)/2]) {
					t.Fatalf("step %d: first/contains wrong", step)
				}
			}
			for _, c := range l.chunks {
				if len(c) == 0 || len(c) >= olistSplit {
					t.Fatalf("step %d: chunk of %d values", step, len(c))
				}
			}
		}
	}
}

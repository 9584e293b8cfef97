package stream

import "github.com/ctrun/ctrun/events"

// A holder keeps, per contract, its last queueLimit events so that a
// reader that comes later can ask for them ("watch replay") and ctstat can
// count them ("stat"). Most are never read, so they are kept as they are
// and formatted only for a reader; a fixed-size ring keeps the memory of
// a busy contract bounded without allocating per event.

// queueLimit is how many items a contract's ring keeps.
const queueLimit = 128

// item is a queued event, or a notice of the holder's own.
type item struct {
	ev       events.Event
	critical bool
	notice   *events.Line
}

// line formats the item for a reader.
func (it *item) line() events.Line {
	if it.notice != nil {
		return *it.notice
	}
	return it.ev.Line(it.critical)
}

// ring is a fixed-size queue: the newest queueLimit items, in order.
type ring struct {
	items [queueLimit]item
	next  int
	n     int
}

// push adds an item, dropping the oldest when the ring is full.
func (r *ring) push(it item) {
	r.items[r.next] = it
	r.next = (r.next + 1) % queueLimit
	if r.n < queueLimit {
		r.n++
	}
}

// each calls f on every item kept, oldest first.
func (r *ring) each(f func(*item)) {
	start := (r.next - r.n + queueLimit) % queueLimit
	for i := 0; i < r.n; i++ {
		f(&r.items[(start+i)%queueLimit])
	}
}

// len is how many items the ring keeps.
func (r *ring) len() int { return r.n }

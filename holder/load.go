package holder

import "time"

// load tells when a contract forks hard enough for its holder to read
// process events in batches (see hold): every event that finds the holder
// waiting costs the process that made it a wake-up of the holder.
//
// What a batch costs: a member that came and went before its events are
// read is gone from /proc. With the tracer's name recorder (root) only its
// namespace pid is lost, so a short burst counts as load. Without it, the
// member also keeps the name it forked with, so only a sustained storm
// does: the few quick commands of an ordinary script are read in time to
// keep their names. (Signal attribution for a member whose namespace pid
// was never read falls back on events.sentLog's match by elimination.)
type load struct {
	// perRead contract events in one read, or perWindow within window,
	// are load. Each process that comes and goes makes two, fork and
	// exit; the machine's other processes make none.
	perRead, perWindow int
	window             time.Duration

	since  time.Time // start of the current window
	recent int       // contract events in it
	busy   bool
}

func newLoad(namesKept bool) *load {
	if namesKept {
		return &load{perRead: 4, perWindow: 6, window: 10 * time.Millisecond}
	}
	return &load{perRead: 32, perWindow: 64, window: 100 * time.Millisecond}
}

// add counts the n contract events of one read at now and says whether
// the contract is under load. Load lasts into the next window when the
// last one was loaded all through, and the next one follows at once:
// otherwise every window would begin with perWindow events read one by
// one.
func (l *load) add(now time.Time, n int) bool {
	if d := now.Sub(l.since); d > l.window {
		l.busy = d <= 2*l.window && l.recent >= l.perWindow
		l.since, l.recent = now, 0
	}
	l.recent += n
	if n >= l.perRead || l.recent >= l.perWindow {
		l.busy = true
	}
	return l.busy
}

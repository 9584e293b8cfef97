package events

import (
	"time"

	"golang.org/x/sys/unix"
)

// sentKeep is how long a record about a process that is no member is kept.
// Members send signals to outsiders and to pids that never existed; those
// records can explain no death once the short race they cover (a member
// that ended before its namespace pid was read) is over.
const sentKeep = uint64(5 * time.Second)

// sentPruneAt is the number of targets at which stale records are dropped.
const sentPruneAt = 256

// sentRecord is one signal a member sent, as the contract's init reported
// it (unprivileged contracts; see runtime/cinit/notify.c, ct_handle_notification).
type sentRecord struct {
	sig     unix.Signal
	sender  int // namespace pid of the sender
	code    int32
	hasCode bool
	when    uint64 // CLOCK_MONOTONIC ns the call went on: before the signal acted
}

// sentLog keeps the last record per (target, signal), and per signal the
// last one sent to every member. A record is the reason for a death only
// if its target already existed when it was sent: a broadcast cannot have
// reached a process born after it.
type sentLog struct {
	byTarget map[int]map[unix.Signal]sentRecord
	toAll    map[unix.Signal]sentRecord
	pruneAt  int // prune when byTarget grows to this many targets
}

func newSentLog() sentLog {
	return sentLog{byTarget: map[int]map[unix.Signal]sentRecord{}, toAll: map[unix.Signal]sentRecord{}, pruneAt: sentPruneAt}
}

// due says whether the log has grown enough to be pruned.
func (l *sentLog) due() bool { return len(l.byTarget) >= l.pruneAt }

// prune drops the records older than sentKeep about targets that are no
// members (known holds the namespace pids of the live members). Records
// about members stay as long as the member: a signal it blocks may act
// much later.
func (l *sentLog) prune(now uint64, known map[int]bool) {
	for target, bySig := range l.byTarget {
		if known[target] {
			continue
		}
		for sig, r := range bySig {
			if now-r.when > sentKeep {
				delete(bySig, sig)
			}
		}
		if len(bySig) == 0 {
			delete(l.byTarget, target)
		}
	}
	l.pruneAt = max(sentPruneAt, 2*len(l.byTarget))
}

func (l *sentLog) add(r sentRecord, targets []int32, all bool) {
	if all {
		l.toAll[r.sig] = r
		return
	}
	for _, t := range targets {
		m := l.byTarget[int(t)]
		if m == nil {
			m = map[unix.Signal]sentRecord{}
			l.byTarget[int(t)] = m
		}
		m[r.sig] = r
	}
}

// match finds the record that explains a death of the member with
// namespace pid nspid, born at start, by sig.
func (l *sentLog) match(nspid int, sig unix.Signal, start uint64, known func(nspid int) bool) (sentRecord, bool) {
	if nspid > 0 {
		if r, ok := l.byTarget[nspid][sig]; ok && r.when >= start {
			return r, true
		}
	} else {
		// The member ended before its namespace pid could be read (a
		// short-lived process, a busy holder): a record of sig sent since
		// it started, to a process that is no member still known, can
		// only have been for it.
		for target, bySig := range l.byTarget {
			if r, ok := bySig[sig]; ok && r.when >= start && !known(target) {
				return r, true
			}
		}
	}
	if r, ok := l.toAll[sig]; ok && r.when >= start {
		return r, true
	}
	return sentRecord{}, false
}

// forget drops the records about a member that is gone (its namespace pid
// may be reused).
func (l *sentLog) forget(nspid int) { delete(l.byTarget, nspid) }

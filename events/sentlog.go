package events

import "golang.org/x/sys/unix"

// sentRecord is one signal a member sent, as the contract's init reported
// it (unprivileged contracts; see cinit.c, handle_notification).
type sentRecord struct {
	sig     unix.Signal
	sender  int // namespace pid of the sender
	code    int32
	hasCode bool
	when    uint64 // CLOCK_MONOTONIC ns at receipt: before the signal acted
}

// sentLog keeps the last record per (target, signal), and per signal the
// last one sent to every member. A record is the reason for a death only
// if its target already existed when it was sent: a broadcast cannot have
// reached a process born after it.
type sentLog struct {
	byTarget map[int]map[unix.Signal]sentRecord
	toAll    map[unix.Signal]sentRecord
}

func newSentLog() sentLog {
	return sentLog{byTarget: map[int]map[unix.Signal]sentRecord{}, toAll: map[unix.Signal]sentRecord{}}
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

package main

import (
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/registry"
)

// ctkill -S asks for a user stop of a contract (semantics page, section
// 3): the signal to the command's process, then to every member left once
// it has gone, SIGKILL to what is left after the grace period, and never a
// restart. A contract that has a holder is stopped by its holder, which is
// asked as a user asks ctrun (stopheld.go); an orphaned (or inherited)
// one, which nobody holds, is stopped by ctkill itself (stoporphan.go).
// Either way ctkill returns once the contract is empty.

// stopMargin is how long past the grace period ctkill waits for the
// contract to empty before it gives up (exitNotEmpty): members killed with
// SIGKILL go at once, but a loaded machine reaps them late.
const stopMargin = 5 * time.Second

// errNotEmpty: the contract was still not empty at the stop's deadline.
var errNotEmpty = errors.New("not empty")

// stopper is one ctkill -S.
type stopper struct {
	id  int
	sig unix.Signal
	// begin is when the stop was asked for: the grace runs from there,
	// whoever carries the stop out.
	begin time.Time
	// grace is ctkill's: GraceEnv when set (graceSet), else the holder's
	// as recorded, else the default.
	grace    time.Duration
	graceSet bool
	// init pins the contract's init (a pidfd, -1 without): its end is the
	// contract's, and a pid reused after it is never taken for it.
	init int
}

// stop carries out ctkill -S on contract e.
func stop(e *registry.Entry, req request) error {
	s := &stopper{id: e.ID, sig: req.sig, begin: time.Now(), grace: req.grace, graceSet: req.graceSet, init: -1}
	if !s.graceSet {
		if g, ok := e.StopGrace(); ok {
			s.grace = g
		}
	}
	fd, err := unix.PidfdOpen(e.ID, 0)
	if err != nil {
		if errors.Is(err, unix.ESRCH) {
			return nil // ended before we could ask: empty, as asked
		}
		return failf("contract %d: cannot follow its init: %v", e.ID, err)
	}
	s.init = fd
	defer unix.Close(fd)
	if !e.Init.Alive() {
		return nil // the pidfd may be a new process's with the same pid
	}
	// A contract changes hands at most a few times while it is stopped:
	// its holder may let go of it (lifetime child), someone may adopt it.
	for tries := 0; tries < 4; tries++ {
		var left bool
		if e.State == registry.Owned {
			left, err = s.throughHolder(e)
		} else {
			left, err = s.itself(e)
		}
		if err != nil || !left {
			return err
		}
		if e, err = s.again(); err != nil || e == nil {
			return err
		}
	}
	return s.notEmpty("it kept changing hands")
}

// again looks the contract up anew once it has changed hands; nil: it has
// ended meanwhile.
func (s *stopper) again() (*registry.Entry, error) {
	if s.ended() {
		return nil, nil
	}
	e, err := find(s.id)
	if err != nil {
		if s.ended() {
			return nil, nil
		}
		return nil, err
	}
	return e, nil
}

// ended says whether the contract's init has exited.
func (s *stopper) ended() bool {
	return s.waitInit(0)
}

// waitInit waits up to d for the contract's init to exit, and says whether
// it has.
func (s *stopper) waitInit(d time.Duration) bool {
	ready, _ := pollFDs([]int{s.init}, d)
	return ready[0]
}

// killAt is when ctkill kills what is left; deadline is when it gives up
// waiting for the contract to empty, holderGrace being the grace of the
// holder that carries the stop out (which may kill later than ctkill's).
func (s *stopper) killAt() time.Time { return s.begin.Add(s.grace) }

func (s *stopper) deadline(holderGrace time.Duration) time.Time {
	return s.begin.Add(max(s.grace, holderGrace) + stopMargin)
}

// notEmpty is the error of a stop that did not empty the contract in time.
func (s *stopper) notEmpty(why string) error {
	return fmt.Errorf("contract %d is still not empty %v after the stop (grace %v): %s: %w",
		s.id, time.Since(s.begin).Round(100*time.Millisecond), s.grace, why, errNotEmpty)
}

// pollFDs waits up to d (negative: without limit) for any of fds to be
// readable, and says which are; fds of -1 are left out.
func pollFDs(fds []int, d time.Duration) ([]bool, error) {
	pfds := make([]unix.PollFd, len(fds))
	for i, fd := range fds {
		pfds[i] = unix.PollFd{Fd: int32(fd), Events: unix.POLLIN}
	}
	ms := -1
	if d >= 0 {
		ms = int((d + time.Millisecond - 1) / time.Millisecond)
	}
	for {
		_, err := unix.Poll(pfds, ms)
		if err == unix.EINTR {
			continue
		}
		ready := make([]bool, len(fds))
		for i, p := range pfds {
			ready[i] = fds[i] >= 0 && p.Revents != 0
		}
		return ready, err
	}
}

// until is how long is left until t (never negative).
func until(t time.Time) time.Duration { return max(time.Until(t), 0) }

// stopSignals are those a user stop is asked for by, as ctrun takes them.
var stopSignals = []unix.Signal{unix.SIGTERM, unix.SIGINT, unix.SIGHUP, unix.SIGQUIT}

func isStopSignal(sig unix.Signal) bool {
	for _, s := range stopSignals {
		if s == sig {
			return true
		}
	}
	return false
}

// signalName is sig as ctkill's messages name it ("SIGUSR1", "signal 0").
func signalName(sig unix.Signal) string {
	if n := unix.SignalName(sig); n != "" {
		return n
	}
	return fmt.Sprintf("signal %d", int(sig))
}

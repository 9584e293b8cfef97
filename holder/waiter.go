package holder

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// waiter tells the holder's loop when a descriptor has something to read,
// with Go's own poller doing the waiting.
//
// The loop reads its descriptors itself, in the order events must be seen
// (a member's report of a signal before the death it caused). Waiting for
// them in poll(2) would hold a thread in a system call: the Go scheduler
// then hands the processor to another thread every time, and on a machine
// busy with forks that churn costs more than the events themselves.
type waiter struct {
	f     *os.File
	ready chan struct{}
	ack   chan struct{}
	done  chan struct{}
}

// newWaiter watches fd (which it does not own: it waits on a duplicate).
func newWaiter(fd int) (*waiter, error) {
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("watch descriptor: %w", err)
	}
	if err := unix.SetNonblock(dup, true); err != nil {
		unix.Close(dup)
		return nil, fmt.Errorf("watch descriptor: %w", err)
	}
	w := &waiter{
		f:     os.NewFile(uintptr(dup), "waiter"), // non-blocking: Go polls it
		ready: make(chan struct{}),
		ack:   make(chan struct{}),
		done:  make(chan struct{}),
	}
	rc, err := w.f.SyscallConn()
	if err != nil {
		w.f.Close()
		return nil, fmt.Errorf("watch descriptor: %w", err)
	}
	go w.run(rc.Read)
	return w, nil
}

func (w *waiter) run(read func(func(uintptr) bool) error) {
	for {
		if err := read(readable); err != nil {
			return // closed
		}
		select {
		case w.ready <- struct{}{}:
		case <-w.done:
			return
		}
		// The loop reads what is there before we look again.
		select {
		case <-w.ack:
		case <-w.done:
			return
		}
	}
}

// readable says, without waiting, whether fd has data (or its end).
func readable(fd uintptr) bool {
	p := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	n, err := unix.Poll(p, 0)
	return err == nil && n > 0
}

// close stops the waiter.
func (w *waiter) close() {
	close(w.done)
	w.f.Close()
}

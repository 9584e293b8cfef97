package holder

import (
	"fmt"
	"os"
	"syscall"
	"time"

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
//
// Go's poller watches a descriptor edge-triggered for good: every message
// that arrives wakes the thread that sleeps in epoll_wait, even while
// nobody waits for the descriptor. The process-events socket gets a message
// for each fork, exec and exit, and each such wake-up is an interrupt to
// another CPU that the forking process pays for (dearly on a virtual
// machine). So the poller watches an epoll instance of ours instead, where
// the descriptor is armed once (EPOLLONESHOT): it fires once, and stays
// quiet until the loop has read what was there and acknowledged.
type waiter struct {
	fd    int      // the descriptor watched (not ours)
	ep    *os.File // our epoll instance, as Go polls it (never call its Fd: that blocks it)
	ready chan struct{}
	ack   chan struct{}
	done  chan struct{}
}

// newWaiter watches fd (which it does not own).
func newWaiter(fd int) (*waiter, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("watch descriptor: %w", err)
	}
	w := &waiter{fd: fd, ready: make(chan struct{}), ack: make(chan struct{}), done: make(chan struct{})}
	if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, w.event()); err != nil {
		unix.Close(ep)
		return nil, fmt.Errorf("watch descriptor: %w", err)
	}
	if err := unix.SetNonblock(ep, true); err != nil {
		unix.Close(ep)
		return nil, fmt.Errorf("watch descriptor: %w", err)
	}
	w.ep = os.NewFile(uintptr(ep), "waiter") // non-blocking: Go polls it
	rc, err := w.ep.SyscallConn()
	if err != nil {
		w.ep.Close()
		return nil, fmt.Errorf("watch descriptor: %w", err)
	}
	go w.run(rc)
	return w, nil
}

func (w *waiter) event() *unix.EpollEvent {
	return &unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLONESHOT, Fd: int32(w.fd)}
}

func (w *waiter) run(rc syscall.RawConn) {
	for {
		// fired takes the descriptor off our epoll's ready list: our
		// epoll is quiet again until it is re-armed below.
		if err := rc.Read(fired); err != nil {
			return // closed
		}
		if !w.handOver() {
			return
		}
		// Re-arming a descriptor that has data fires at once: nothing
		// that came meanwhile is missed. Through Control, so that our
		// epoll cannot be closed (and its number reused) meanwhile.
		var err error
		if cerr := rc.Control(func(ep uintptr) {
			err = unix.EpollCtl(int(ep), unix.EPOLL_CTL_MOD, w.fd, w.event())
		}); cerr != nil {
			return // closed
		}
		if err != nil {
			// Cannot happen while the watched descriptor is open; should
			// it, look every millisecond rather than never.
			w.poll()
			return
		}
	}
}

// poll is run's fallback: it looks at the descriptor every millisecond.
func (w *waiter) poll() {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-w.done:
			return
		}
		p := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
		if n, err := unix.Poll(p, 0); err != nil || n == 0 {
			continue
		}
		if !w.handOver() {
			return
		}
	}
}

// handOver tells the loop there is something to read and waits until it
// has read it (the loop reads before we look again). It says false once
// the waiter is closed.
func (w *waiter) handOver() bool {
	select {
	case w.ready <- struct{}{}:
	case <-w.done:
		return false
	}
	select {
	case <-w.ack:
		return true
	case <-w.done:
		return false
	}
}

// fired says, without waiting, whether the epoll instance ep has reported
// the descriptor (its data, or its end), and takes the report.
func fired(ep uintptr) bool {
	var evs [1]unix.EpollEvent
	n, err := unix.EpollWait(int(ep), evs[:], 0)
	return err == nil && n > 0
}

// close stops the waiter.
func (w *waiter) close() {
	close(w.done)
	w.ep.Close()
}

// readyC is the channel that says there is something to read; nil (it
// never fires) for no waiter.
func (w *waiter) readyC() <-chan struct{} {
	if w == nil {
		return nil
	}
	return w.ready
}

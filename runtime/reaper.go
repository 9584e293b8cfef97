package runtime

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/procfs"
)

// Reaper reaps the holder's children that nobody else waits for. A holder
// that is PID 1 of its namespace (a container's entrypoint) is given every
// orphan of the namespace, and one that is a subreaper every orphan of its
// contract whose init was killed: each would stay a zombie for good. The
// init of a subreaper instance is claimed (its status goes to the
// instance's Wait); libcontainer's init is spared (libcontainer reaps it),
// and so are its helpers while an instance is being made.
//
// It never waits for any child (wait4(-1) would take libcontainer's): it
// looks for its zombie children in /proc and reaps them one by one.
type Reaper struct {
	mu       sync.Mutex
	claimed  map[int]chan unix.WaitStatus
	spared   map[int]bool
	creating int
	sigs     chan os.Signal
}

// NewReaper starts reaping at every SIGCHLD.
func NewReaper() *Reaper {
	r := &Reaper{claimed: map[int]chan unix.WaitStatus{}, spared: map[int]bool{}, sigs: make(chan os.Signal, 1)}
	signal.Notify(r.sigs, unix.SIGCHLD)
	go func() {
		for range r.sigs {
			r.reap()
		}
	}()
	return r
}

// Claim has the status of child pid sent to the channel returned, once it
// has exited.
func (r *Reaper) Claim(pid int) <-chan unix.WaitStatus {
	ch := make(chan unix.WaitStatus, 1)
	r.mu.Lock()
	r.claimed[pid] = ch
	r.mu.Unlock()
	r.reap() // it may have exited before it was claimed
	return ch
}

// Spare leaves child pid to whoever else waits for it.
func (r *Reaper) Spare(pid int) {
	r.mu.Lock()
	r.spared[pid] = true
	r.mu.Unlock()
}

// Creating says an instance is being made: its maker's helpers are the
// holder's children meanwhile, and theirs to reap. Call the function
// returned once it is made.
func (r *Reaper) Creating() (done func()) {
	r.mu.Lock()
	r.creating++
	r.mu.Unlock()
	return func() {
		r.mu.Lock()
		r.creating--
		r.mu.Unlock()
		r.reap()
	}
}

// reap reaps every child that has exited and is not another's to reap.
func (r *Reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for pid, ch := range r.claimed {
		var ws unix.WaitStatus
		if got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil); got == pid || err == unix.ECHILD {
			if err == unix.ECHILD {
				ws = unix.WaitStatus(0xff00) // someone else reaped it: unknown
			}
			ch <- ws
			delete(r.claimed, pid)
		}
	}
	if r.creating > 0 {
		return
	}
	kids, _ := procfs.Default.Children(os.Getpid())
	children := map[int]bool{}
	for _, pid := range kids {
		children[pid] = true
		if r.spared[pid] || r.claimed[pid] != nil {
			continue
		}
		// A child that has not exited is left as it is (WNOHANG).
		var ws unix.WaitStatus
		_, _ = unix.Wait4(pid, &ws, unix.WNOHANG, nil)
	}
	// A spared child that is no longer ours was reaped by its waiter.
	for pid := range r.spared {
		if !children[pid] {
			delete(r.spared, pid)
		}
	}
}

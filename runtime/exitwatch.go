package runtime

import "sync"

// exitWatch is an instance's wait for its init's end: done once, by
// whoever asks first, however the init is waited for (its parent's wait, a
// pidfd, the holder's reaper); Kill asks whether it is over.
type exitWatch struct {
	once sync.Once
	err  error
	done chan struct{}
}

func newExitWatch() *exitWatch { return &exitWatch{done: make(chan struct{})} }

// wait runs wait once and returns its error, to every caller.
func (w *exitWatch) wait(wait func() error) error {
	w.once.Do(func() {
		w.err = wait()
		close(w.done)
	})
	<-w.done
	return w.err
}

// over says, without waiting, whether the init's end has been waited for.
func (w *exitWatch) over() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

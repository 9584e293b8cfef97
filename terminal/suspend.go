package terminal

import (
	"os"
	"os/signal"

	"golang.org/x/sys/unix"
)

// ^Z at the contract's pseudo-terminal stops the job there; when that job
// is the command's own (no shell inside to take the terminal back), ctrun
// stops with it, so that the user's shell gets its prompt back, as without
// ctrun: the terminal is given back in its own mode, and ctrun's process
// group stopped by SIGTSTP, as the terminal would have done had it not
// been raw. fg (SIGCONT) undoes both: the terminal is made raw again and
// the job stopped in the pseudo-terminal continued.

// suspend stops the job, the pseudo-terminal's foreground group fg, gives
// the terminal back and stops ctrun's process group. The job's SIGTSTP
// from ^Z runs the handlers a program has for it (an editor restores its
// terminal), but cannot stop the command's own group: its parent, the
// contract's init, is in another session, so the kernel deems the group
// orphaned and discards the stop. SIGSTOP, which nothing discards, stops
// it (the pseudo-terminal cannot send it: TIOCSIG takes only INT, QUIT and
// TSTP). A ctrun started with SIGTSTP ignored has no job control above it
// (the terminal would not have stopped it either): the job goes on at
// once.
func (p *Proxy) suspend(fg int) {
	p.mu.Lock()
	if fg > 0 && unix.Kill(-fg, unix.SIGSTOP) == nil {
		p.stopped = fg
	}
	_ = p.restore()
	p.suspended = true
	p.mu.Unlock()
	if signal.Ignored(unix.SIGTSTP) {
		p.continued()
		return
	}
	_ = unix.Kill(-unix.Getpgrp(), unix.SIGTSTP)
}

// watchContinue makes continued run on every SIGCONT until Close.
func (p *Proxy) watchContinue() {
	p.cont = make(chan os.Signal, 1)
	signal.Notify(p.cont, unix.SIGCONT)
	go func() {
		for {
			select {
			case <-p.cont:
				p.continued()
			case <-p.done:
				return
			}
		}
	}()
}

func (p *Proxy) stopWatch() {
	signal.Stop(p.cont)
	select {
	case <-p.done:
	default:
		close(p.done)
	}
}

// continued: ctrun runs again. In the foreground (fg), it takes the
// terminal again; a job it stopped with itself goes on (in the background
// too: bg).
func (p *Proxy) continued() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if !p.raw.Load() && Foreground(p.in) {
		if saved, err := makeRaw(int(p.in.Fd())); err == nil {
			p.saved = saved
			p.raw.Store(true)
		}
	}
	if p.suspended && p.stopped > 0 {
		_ = unix.Kill(-p.stopped, unix.SIGCONT)
	}
	p.suspended, p.stopped = false, 0
}

// Package terminal gives a contract a terminal of its own when ctrun runs in
// the foreground of one.
//
// A contract's init is a session leader in a new PID namespace (libcontainer
// calls setsid), so the command cannot use ctrun's terminal as its
// controlling terminal: a shell would have no job control and Ctrl-C would
// reach ctrun instead of the shell's foreground job. As runc does for
// "terminal: true", ctrun puts its own terminal in raw mode and relays it
// to a pseudo-terminal whose slave is the command's controlling terminal:
// line editing, Ctrl-C, Ctrl-Z and job control then behave inside exactly
// as outside, and the size follows the real terminal.
package terminal

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/containerd/console"
	"golang.org/x/sys/unix"
)

// Proxy relays ctrun's terminal to one pseudo-terminal at a time (one per
// contract instance: a restarted command gets a fresh one).
type Proxy struct {
	term console.Console
	in   *os.File
	out  *os.File
	rdev uint64
	keys Keys
	// cont receives SIGCONT (see suspend.go); done ends its watch.
	cont chan os.Signal
	done chan struct{}

	mu sync.Mutex
	// saved is the terminal's mode before the proxy made it raw; raw says
	// whether it is raw now (not while ctrun is suspended or in the
	// background). raw is also read without mu, by the holder's reporter:
	// its loop never waits for the proxy's lock.
	saved     *unix.Termios
	raw       atomic.Bool
	suspended bool
	// stopped is the process group suspend stopped, to continue.
	stopped int
	closed  bool
	master  console.Console
	copied  chan struct{}
	// pending holds what was typed while no contract had a terminal
	// (before the first, between restarts): the next one gets it.
	pending []byte
}

// Foreground says whether f is a terminal whose foreground process group is
// ours: only then is it ours to put in raw mode and relay.
func Foreground(f *os.File) bool {
	pgrp, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}

// Open takes over the terminal on stdin (which must be in the foreground),
// writing the relayed output to out (the terminal itself, through stdout or
// stderr when they are it); keys is told of the signal keys typed.
func Open(stdin, out *os.File, keys Keys) (*Proxy, error) {
	term, err := console.ConsoleFromFile(stdin)
	if err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(int(stdin.Fd()), &st); err != nil {
		return nil, fmt.Errorf("terminal: %w", err)
	}
	saved, err := makeRaw(int(stdin.Fd()))
	if err != nil {
		return nil, fmt.Errorf("terminal raw mode: %w", err)
	}
	p := &Proxy{term: term, in: stdin, out: out, rdev: st.Rdev, keys: keys, saved: saved, done: make(chan struct{})}
	p.raw.Store(true)
	p.watchContinue()
	go p.relayInput()
	return p, nil
}

// IsTerminal says whether f is the terminal the proxy relays (so the command
// gets the pseudo-terminal in its place).
func (p *Proxy) IsTerminal(f *os.File) bool {
	var st unix.Stat_t
	return f != nil && unix.Fstat(int(f.Fd()), &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFCHR && st.Rdev == p.rdev
}

// Session makes a new pseudo-terminal for the next contract instance and
// returns its slave, to become the command's controlling terminal.
func (p *Proxy) Session() (*os.File, error) {
	master, slavePath, err := console.NewPty()
	if err != nil {
		return nil, fmt.Errorf("pseudo-terminal: %w", err)
	}
	slave, err := os.OpenFile(slavePath, os.O_RDWR|syscall.O_NOCTTY|syscall.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("pseudo-terminal: %w", err)
	}
	if err := master.ResizeFrom(p.term); err != nil {
		_ = err // a terminal without a size is still usable
	}
	p.mu.Lock()
	p.master = master
	p.copied = make(chan struct{})
	done := p.copied
	if len(p.pending) > 0 {
		_, _ = master.Write(p.pending)
		p.pending = nil
	}
	p.mu.Unlock()
	go func() {
		// Ends with EIO once every holder of the slave is gone.
		_, _ = io.Copy(p.out, master)
		close(done)
	}()
	return slave, nil
}

// EndSession waits for the last output of the ended instance and lets go
// of its pseudo-terminal.
func (p *Proxy) EndSession() {
	p.mu.Lock()
	master, done := p.master, p.copied
	p.master, p.copied = nil, nil
	p.mu.Unlock()
	if master == nil {
		return
	}
	<-done
	master.Close()
}

// DropSession lets go of the ended instance's pseudo-terminal without
// waiting for its last output: processes that outlive the contract (a
// sub-contract) may hold it open.
func (p *Proxy) DropSession() {
	p.mu.Lock()
	master := p.master
	p.master, p.copied = nil, nil
	p.mu.Unlock()
	if master != nil {
		master.Close()
	}
}

// Resize passes the real terminal's size on (on SIGWINCH).
func (p *Proxy) Resize() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master != nil {
		_ = p.master.ResizeFrom(p.term)
	}
}

func (p *Proxy) relayInput() {
	buf := make([]byte, 4096)
	for {
		n, err := p.in.Read(buf)
		if n > 0 {
			p.relay(buf[:n])
		}
		if err != nil {
			if errors.Is(err, syscall.EINTR) || errors.Is(err, syscall.EAGAIN) {
				continue
			}
			return
		}
	}
}

// relay passes typed bytes on to the contract's pseudo-terminal. A byte
// that makes it send a signal is first told to the holder (Keys), so that
// the holder knows of the interrupt before any death it causes; without a
// pseudo-terminal such a key goes to the holder only.
//
// The mode is read once for what was read at once: it was typed before
// the program there could change it, and the pseudo-terminal is left
// alone while its line discipline acts on a key just passed on.
func (p *Proxy) relay(b []byte) {
	mode, session := p.mode()
	for len(b) > 0 {
		i, sig := nextKey(mode, b)
		if i > 0 {
			p.write(b[:i])
		}
		if sig == 0 {
			return
		}
		if p.keys == nil {
			p.write(b[i : i+1])
			b = b[i+1:]
			continue
		}
		fg := 0
		if session {
			fg = p.foregroundGroup()
		}
		suspend := p.keys.Key(sig, fg)
		if session {
			p.write(b[i : i+1])
		}
		if suspend && session {
			p.suspend(fg)
		}
		b = b[i+1:]
	}
}

// mode is the terminal mode that decides which keys make signals: the
// pseudo-terminal's (its program may have turned them off or changed
// them), or without one the user's own terminal's as it was before ctrun
// made it raw. session says whether there is a pseudo-terminal.
func (p *Proxy) mode() (*unix.Termios, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master == nil {
		return p.saved, false
	}
	t, err := unix.IoctlGetTermios(int(p.master.Fd()), unix.TCGETS)
	if err != nil {
		return nil, true
	}
	return t, true
}

// foregroundGroup is the pseudo-terminal's foreground process group, as a
// host pgid (0: none, or no pseudo-terminal).
func (p *Proxy) foregroundGroup() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.master == nil {
		return 0
	}
	pgrp, err := unix.IoctlGetInt(int(p.master.Fd()), unix.TIOCGPGRP)
	if err != nil {
		return 0
	}
	return pgrp
}

// write passes typed bytes on to the pseudo-terminal, or keeps them for
// the next one. The write is made without the lock: a pseudo-terminal may
// hold it back (right after a key that made it send a signal, it was seen
// to until its job ended), and the holder must not wait for that to end
// the session.
func (p *Proxy) write(b []byte) {
	p.mu.Lock()
	master := p.master
	if master == nil && len(p.pending) < 1<<20 {
		p.pending = append(p.pending, b...)
	}
	p.mu.Unlock()
	if master != nil {
		_, _ = master.Write(b)
	}
}

// Raw says whether the terminal is in raw mode now: ctrun's own lines then
// need a carriage return before each line feed.
func (p *Proxy) Raw() bool { return p.raw.Load() }

// Close gives the terminal back as it was.
func (p *Proxy) Close() error {
	p.EndSession()
	p.stopWatch()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	return p.restore()
}

// restore puts the terminal back in the mode it had before it was made
// raw (with p.mu held).
func (p *Proxy) restore() error {
	if !p.raw.Load() {
		return nil
	}
	p.raw.Store(false)
	if err := unix.IoctlSetTermios(int(p.in.Fd()), unix.TCSETS, p.saved); err != nil {
		return fmt.Errorf("terminal: restore its mode: %w", err)
	}
	return nil
}

// makeRaw puts the terminal in raw mode (cfmakeraw(3), output processing
// off too: the contract's own terminal already did it) and returns the mode
// it had.
func makeRaw(fd int) (*unix.Termios, error) {
	t, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, err
	}
	saved := *t
	t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	t.Oflag &^= unix.OPOST
	t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	t.Cflag &^= unix.CSIZE | unix.PARENB
	t.Cflag |= unix.CS8
	t.Cc[unix.VMIN] = 1
	t.Cc[unix.VTIME] = 0
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, t); err != nil {
		return nil, err
	}
	return &saved, nil
}

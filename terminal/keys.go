package terminal

import "golang.org/x/sys/unix"

// Keys is told of the keys that make the contract's pseudo-terminal send a
// signal (^C, ^\, ^Z as its mode has them), each before the byte is passed
// on: the holder so knows of an interrupt before any death it causes, and
// never takes one for a signal from outside the contract.
type Keys interface {
	// Key: sig is about to be typed into the pseudo-terminal whose
	// foreground process group (host pgid) is fg; fg is 0 when no
	// contract has a pseudo-terminal (the key then reaches no process: it
	// stops ctrun as the signal would). For SIGTSTP it says whether ctrun
	// suspends itself with the contract's job.
	Key(sig unix.Signal, fg int) (suspend bool)
}

// vdisable is _POSIX_VDISABLE on Linux: a control character set to it is
// off.
const vdisable = 0

// signalKey is the signal byte b makes a terminal in mode t send (its line
// discipline's ISIG), 0 for none.
func signalKey(t *unix.Termios, b byte) unix.Signal {
	if t == nil || t.Lflag&unix.ISIG == 0 || b == vdisable {
		return 0
	}
	switch b {
	case t.Cc[unix.VINTR]:
		return unix.SIGINT
	case t.Cc[unix.VQUIT]:
		return unix.SIGQUIT
	case t.Cc[unix.VSUSP]:
		return unix.SIGTSTP
	}
	return 0
}

// nextKey finds the first byte of b that makes a signal in mode t: its
// index and signal, or len(b) and 0.
func nextKey(t *unix.Termios, b []byte) (int, unix.Signal) {
	if t == nil || t.Lflag&unix.ISIG == 0 {
		return len(b), 0
	}
	for i, c := range b {
		if sig := signalKey(t, c); sig != 0 {
			return i, sig
		}
	}
	return len(b), 0
}

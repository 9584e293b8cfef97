package terminal

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestNextKey(t *testing.T) {
	cooked := &unix.Termios{Lflag: unix.ISIG}
	cooked.Cc[unix.VINTR], cooked.Cc[unix.VQUIT], cooked.Cc[unix.VSUSP] = 3, 0x1c, 0x1a
	remapped := *cooked
	remapped.Cc[unix.VINTR], remapped.Cc[unix.VSUSP] = 'x', vdisable
	noISIG := *cooked
	noISIG.Lflag = 0
	for _, tc := range []struct {
		name string
		mode *unix.Termios
		in   string
		at   int
		sig  unix.Signal
	}{
		{"plain text", cooked, "ls -l\r", 6, 0},
		{"^C after text", cooked, "abc\x03def", 3, unix.SIGINT},
		{"^\\ first", cooked, "\x1c\x03", 0, unix.SIGQUIT},
		{"^Z", cooked, "\x1a", 0, unix.SIGTSTP},
		{"raw program: no signals", &noISIG, "\x03\x1c\x1a", 3, 0},
		{"no mode known", nil, "\x03", 1, 0},
		{"remapped interrupt", &remapped, "\x03ax", 2, unix.SIGINT},
		{"disabled suspend, NUL typed", &remapped, "\x00\x1a", 2, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			at, sig := nextKey(tc.mode, []byte(tc.in))
			if at != tc.at || sig != tc.sig {
				t.Fatalf("nextKey(%q) = %d, %v; want %d, %v", tc.in, at, sig, tc.at, tc.sig)
			}
		})
	}
}

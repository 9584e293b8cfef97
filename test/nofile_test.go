package test

import (
	"strings"
	"testing"
)

// With the limit on open files lowered (ulimit -n), ctrun works at 64
// and hands the command its inherited descriptors at their numbers, near
// or above the limit too, with the limit the command would have had; where
// the limit leaves no way (too low for ctrun, or a descriptor above a hard
// limit it may not raise) it says so in one line and exits 124, the
// command not run. Nothing is left behind either way.
func TestDescriptorLimit(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		// What the command reports: its output, the inherited
		// descriptor's number if it has it, and its own limits.
		show := `echo out; [ "$1" != 0 ] && [ -e /proc/self/fd/$1 ] && echo "fd $1"; grep "open files" /proc/self/limits | tr -s " " | cut -d" " -f4,5; exit 3`
		for _, tc := range []struct {
			name   string
			limit  string // prlimit's soft:hard
			fd     int    // an inherited descriptor opened before the limit is lowered (0: none)
			stdout string // "" with exit 124 and ctrun's one line
			errors string // what that line says
		}{
			{"64", "64:64", 0, "out\n64 64\n", ""},
			{"64, a descriptor near it", "64:64", 60, "out\nfd 60\n64 64\n", ""},
			{"64, a descriptor above it, below the hard limit", "64:4096", 200, "out\nfd 200\n64 4096\n", ""},
			{"64, a descriptor above the hard limit", "64:64", 200, "", "inherited descriptor 200 cannot be handed on: it is above the hard limit on open files (64"},
			// Too low for ctrun (about 34 as root, fewer unprivileged):
			// each step that runs out says it the same way.
			{"24", "24:24", 0, "", "too many open files"},
			{"20", "20:20", 0, "", "too many open files"},
			{"16", "16:16", 0, "", "too many open files"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				script := `exec prlimit --nofile=` + tc.limit + ` "$0" sh -c "$1" sh "$2"`
				if tc.fd != 0 {
					script = `exec ` + itoa(tc.fd) + `</dev/null; ` + script
				}
				r := runBin(t, "/bin/bash", user, nil, "-c", script, ctrun, show, itoa(tc.fd))
				if tc.stdout != "" {
					if r.code != 3 || r.stdout != tc.stdout || r.stderr != "" {
						t.Errorf("exit %d, stdout %q, stderr %q; want 3, %q and nothing", r.code, r.stdout, r.stderr, tc.stdout)
					}
					return
				}
				if r.code != 124 || r.stdout != "" {
					t.Errorf("exit %d, stdout %q; want 124 and the command not run", r.code, r.stdout)
				}
				if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "ctrun: ") || !strings.Contains(r.stderr, tc.errors) {
					t.Errorf("stderr %q; want one line saying %q", r.stderr, tc.errors)
				}
			})
		}
	})
}

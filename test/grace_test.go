package test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The grace period after a user stop: -g sets it, over CTRUN_GRACE, over
// the default of 10 s. A member that ignores the stop signal is killed
// once the grace is over; ctrun -v names the grace it applied, which is
// what tells the three sources apart (not a measured time).
func TestGraceKillsMembersThatIgnoreTheStop(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string // in the -v line of the kill
	}{
		{"option", []string{"-g", "0.5"}, nil, "500ms after the stop"},
		{"option over variable", []string{"-g", "0.25"}, []string{"CTRUN_GRACE=30"}, "250ms after the stop"},
		{"option over a bad variable", []string{"-g0"}, []string{"CTRUN_GRACE=soon"}, "0s after the stop"},
		{"variable", nil, []string{"CTRUN_GRACE=.5"}, "500ms after the stop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				ready := filepath.Join(sharedDir(t), "ready")
				// The command and its children ignore TERM.
				script := `trap '' TERM; sleep 300 & echo $$ > ` + ready + `; while :; do sleep 0.05; done`
				args := append(append([]string{"-v"}, tc.args...), "sh", "-c", script)
				cmd, _, stderr := start(t, call{args: args, user: user, env: tc.env})
				readPidFile(t, ready) // its pid in the contract: clean checks no member is left
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
				code := waitExit(t, cmd, 30*time.Second)
				if code != 123 {
					t.Errorf("exit %d, want 123 (the command was killed)\n%s", code, stderr)
				}
				if !strings.Contains(stderr.String(), tc.want) {
					t.Errorf("no %q among ctrun's lines:\n%s", tc.want, stderr)
				}
			})
		})
	}
}

// Bad grace values are refused before anything starts: -g as a usage
// error (125, one line and the usage), CTRUN_GRACE as ctrun's own failure
// (124, one line naming the variable).
func TestGraceBadValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		env   []string
		code  int
		lines int
		names string
	}{
		{"option not a number", []string{"-g", "soon"}, nil, 125, 2, "-g"},
		{"option negative", []string{"-g", "-1"}, nil, 125, 2, "-g"},
		{"option with a unit", []string{"-g", "5s"}, nil, 125, 2, "-g"},
		{"option NaN", []string{"-g", "NaN"}, nil, 125, 2, "-g"},
		{"option too long", []string{"-g", "9999999"}, nil, 125, 2, "-g"},
		{"option empty", []string{"-g", ""}, nil, 125, 2, "-g"},
		{"option with adoption", []string{"-g", "x", "-a", "1"}, nil, 125, 2, "-g"},
		{"variable not a number", nil, []string{"CTRUN_GRACE=soon"}, 124, 1, "CTRUN_GRACE"},
		{"variable negative", nil, []string{"CTRUN_GRACE=-2"}, 124, 1, "CTRUN_GRACE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				marker := filepath.Join(sharedDir(t), "ran")
				args := tc.args
				if len(args) < 3 || args[2] != "-a" {
					args = append(append([]string{}, args...), "touch", marker)
				}
				r := run(t, call{args: args, user: user, env: tc.env})
				lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
				if r.code != tc.code || len(lines) != tc.lines || !strings.HasPrefix(lines[0], "ctrun: ") || !strings.Contains(lines[0], tc.names) {
					t.Fatalf("ctrun %q (%q): exit %d, stderr:\n%s\nwant exit %d and %d line(s), the first naming %s", args, tc.env, r.code, r.stderr, tc.code, tc.lines, tc.names)
				}
				if tc.lines == 2 && !strings.HasPrefix(lines[1], "usage: ctrun") {
					t.Fatalf("ctrun %q: the second line is not the usage:\n%s", args, r.stderr)
				}
				if _, err := os.Stat(marker); err == nil {
					t.Fatalf("ctrun %q ran the command despite the bad grace", args)
				}
			})
		})
	}
}

package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every usage rule of the semantics page: exit 125, a one-line reason and
// the usage line on stderr, nothing started (the command, which would
// create a file, never runs), nothing left behind.
func TestUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"only options", []string{"-v"}},
		{"unknown option", []string{"-x", "CMD"}},
		{"unknown option in a group", []string{"-vx", "CMD"}},
		{"missing argument", []string{"-f"}},
		{"unknown event", []string{"-f", "crash", "CMD"}},
		{"unknown informative event", []string{"-i", "core,bogus", "CMD"}},
		{"exit is never fatal", []string{"-f", "exit", "CMD"}},
		{"fork is never fatal", []string{"-f", "core,fork", "CMD"}},
		{"empty is never fatal", []string{"-fempty", "CMD"}},
		{"none with other events", []string{"-i", "none,core", "CMD"}},
		{"none with other options", []string{"-o", "none noorphan", "CMD"}},
		{"unknown option name", []string{"-o", "nokill", "CMD"}},
		{"unknown lifetime", []string{"-l", "forever", "CMD"}},
		{"negative count", []string{"-r", "-1", "CMD"}},
		{"count not a number", []string{"-r", "two", "CMD"}},
		{"count empty", []string{"-r", "", "CMD"}},
		{"restart with lifetime child", []string{"-r", "1", "-l", "child", "CMD"}},
		{"restart with lifetime none", []string{"-l", "none", "-r", "0", "CMD"}},
		{"restart with pgrponly", []string{"-r", "1", "-o", "pgrponly", "CMD"}},
		{"-t without -r", []string{"-t", "CMD"}},
		{"noorphan with lifetime none", []string{"-o", "noorphan", "-l", "none", "CMD"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clean(t)
			marker := filepath.Join(t.TempDir(), "ran")
			args := make([]string, len(tc.args))
			for i, a := range tc.args {
				if a == "CMD" {
					a = "touch"
				}
				args[i] = a
			}
			if n := len(args); n > 0 && args[n-1] == "touch" {
				args = append(args, marker)
			}
			r := run(t, call{args: args})
			if r.code != 125 {
				t.Fatalf("ctrun %q: exit %d, want 125\nstderr: %s", args, r.code, r.stderr)
			}
			lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "ctrun: ") || !strings.HasPrefix(lines[1], "usage: ctrun") {
				t.Fatalf("ctrun %q: want a one-line reason and the usage line, got:\n%s", args, r.stderr)
			}
			if strings.Contains(lines[0], "usage:") {
				t.Fatalf("ctrun %q: the reason line is missing:\n%s", args, r.stderr)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Fatalf("ctrun %q ran the command despite the usage error", args)
			}
		})
	}
}

// The getopt forms the page requires, each running the command.
func TestGetoptForms(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"grouped with argument", []string{"-tr1", "sh", "-c", "echo ok"}, "ok\n"},
		{"attached argument", []string{"-fcore", "-isignal", "sh", "-c", "echo ok"}, "ok\n"},
		{"parsing stops at the command", []string{"-v", "sh", "-c", "echo $0 $1", "-v", "-x"}, "-v -x\n"},
		{"-- ends options", []string{"--", "sh", "-c", "echo ok"}, "ok\n"},
		{"lists with spaces and commas", []string{"-i", "core, fork exit", "-f", "signal hwerr", "sh", "-c", "echo ok"}, "ok\n"},
		{"none alone", []string{"-i", "none", "-f", "none", "-o", "none", "sh", "-c", "echo ok"}, "ok\n"},
		{"-F and -A are kept", []string{"-F", "svc:/site/mine:default", "-A", "made by test", "sh", "-c", "echo ok"}, "ok\n"},
		{"-V with -v", []string{"-v", "-V", "sh", "-c", "echo ok"}, "ok\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clean(t)
			r := run(t, call{args: tc.args})
			if r.code != 0 || r.stdout != tc.want {
				t.Fatalf("ctrun %q: exit %d, stdout %q, want 0 and %q\nstderr: %s", tc.args, r.code, r.stdout, tc.want, r.stderr)
			}
		})
	}
}

// Empty and repeated list elements are warnings, not errors.
func TestListWarnings(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"empty element", []string{"-i", "core,,fork"}},
		{"trailing comma", []string{"-f", "signal,"}},
		{"repeated element", []string{"-i", "core,core"}},
		{"repeated option", []string{"-o", "noorphan,noorphan"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clean(t)
			args := append(tc.args, "sh", "-c", "echo ok")
			r := run(t, call{args: args})
			if r.code != 0 || r.stdout != "ok\n" {
				t.Fatalf("ctrun %q: exit %d, stdout %q\nstderr: %s", args, r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stderr, "warning") {
				t.Fatalf("ctrun %q: no warning on stderr: %q", args, r.stderr)
			}
		})
	}
}

// 126 and 127 are exact, also with -l none, and never run anything.
func TestNotRunnable(t *testing.T) {
	dir := t.TempDir()
	noexec := filepath.Join(dir, "noexec")
	if err := os.WriteFile(noexec, []byte("#!/bin/sh\ntouch "+filepath.Join(dir, "ran")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// dir is root's own (0700): uid 65534 cannot search it.
	hidden := []string{"PATH=" + dir + ":/usr/bin:/bin"}
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want int
		user bool
	}{
		{"not found in PATH", []string{"no-such-command-xyz"}, nil, 127, false},
		{"not found by path", []string{"/no/such/command"}, nil, 127, false},
		{"directory", []string{dir}, nil, 126, false},
		{"not executable", []string{noexec}, nil, 126, false},
		{"PATH given to ctrun is used", []string{"noexec"}, []string{"PATH=" + dir}, 126, false},
		{"not found with -l none", []string{"-l", "none", "no-such-command-xyz"}, nil, 127, false},
		{"directory with -l none", []string{"-l", "none", dir}, nil, 126, false},
		{"not found with -r", []string{"-r", "3", "no-such-command-xyz"}, nil, 127, false},
		// A PATH directory the user cannot search hides nothing: as in a
		// shell, the command is not found. Named by its path, it is
		// there but cannot be executed.
		{"not found past a PATH directory the user cannot search", []string{"no-such-command-xyz"}, hidden, 127, true},
		{"by path in a directory the user cannot search", []string{noexec}, hidden, 126, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clean(t)
			c := call{args: tc.args, user: tc.user}
			if tc.env != nil {
				c.env = tc.env
			}
			r := run(t, c)
			if r.code != tc.want {
				t.Fatalf("ctrun %q: exit %d, want %d\nstderr: %s", tc.args, r.code, tc.want, r.stderr)
			}
			if !strings.HasPrefix(r.stderr, "ctrun: ") {
				t.Fatalf("ctrun %q: no reason on stderr: %q", tc.args, r.stderr)
			}
			if _, err := os.Stat(filepath.Join(dir, "ran")); err == nil {
				t.Fatal("the command ran")
			}
		})
	}
}

func TestExitStatus(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want int
	}{
		{"own status", []string{"sh", "-c", "exit 42"}, 42},
		{"zero", []string{"true"}, 0},
		{"killed by a signal", []string{"sh", "-c", "kill -KILL $$"}, 123},
		{"killed by a fault", []string{probePath(), "segv"}, 123},
		{"status of the command, not of a member left", []string{"sh", "-c", "(sleep 0.3; exit 9) & exit 5"}, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clean(t)
			r := run(t, call{args: tc.args})
			if r.code != tc.want {
				t.Fatalf("ctrun %q: exit %d, want %d\nstderr: %s", tc.args, r.code, tc.want, r.stderr)
			}
		})
	}
}

// probePath is the probe binary; a function so table entries built before
// TestMain ran still see it.
func probePath() string { return probe }

// Usage errors name what was wrong: an unknown long option by its whole
// name in every command (never "--"), an unknown event with the names
// that would do.
func TestUsageErrorsNameTheProblem(t *testing.T) {
	for _, tc := range []struct {
		bin  func() string
		args []string
		code int
		want []string
	}{
		{func() string { return ctrun }, []string{"--restart", "3", "true"}, 125, []string{"ctrun: unknown option --restart\n"}},
		{func() string { return ctrun }, []string{"-v", "--restart=3", "true"}, 125, []string{"ctrun: unknown option --restart\n"}},
		{func() string { return ctstatBin }, []string{"--interval", "1"}, 2, []string{"ctstat: unknown option --interval\n"}},
		{func() string { return ctkillBin }, []string{"--restart", "3"}, 2, []string{"ctkill: unknown option --restart\n"}},
		{func() string { return ctwatchBin }, []string{"--follow"}, 2, []string{"ctwatch: unknown option --follow\n"}},
		{func() string { return ctrun }, []string{"-f", "cor", "true"}, 125, []string{`"cor"`, "core", "signal", "hwerr", "none"}},
		{func() string { return ctrun }, []string{"-i", "core,forks", "true"}, 125, []string{`"forks"`, "core", "signal", "hwerr", "exit", "fork", "empty", "none"}},
	} {
		bin := tc.bin()
		t.Run(filepath.Base(bin)+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			clean(t)
			r := run(t, call{args: tc.args, bin: bin})
			first, _, _ := strings.Cut(r.stderr, "usage:")
			if r.code != tc.code {
				t.Errorf("exit %d, want %d\nstderr: %s", r.code, tc.code, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(first, w) {
					t.Errorf("the reason does not say %q:\n%s", w, r.stderr)
				}
			}
		})
	}
}

package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// ctrun -E through one of its own descriptors writes through that
// descriptor: the command's output written to the same file stays whole
// and in order, the JSON lines come between its lines, never inside one,
// and nothing is overwritten (the offset is shared, nothing truncated).
func TestEventLogThroughDescriptor(t *testing.T) {
	for _, tc := range []struct {
		name, log, redirect string
	}{
		{"/dev/fd/1", "/dev/fd/1", "> OUT"},
		{"/dev/stdout", "/dev/stdout", "> OUT"},
		{"/dev/stderr", "/dev/stderr", "> OUT 2>&1"},
		{"/proc/self/fd/1", "/proc/self/fd/1", "> OUT"},
		{"a descriptor of its own, appending", "/dev/fd/3", "3>> OUT >&3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				out := filepath.Join(sharedDir(t), "out")
				if strings.Contains(tc.redirect, ">>") {
					writeOwned(t, out, "old\n", user)
				}
				script := `(echo before; ` + ctrun + ` -E ` + tc.log + ` -i exit sh -c 'echo hi; sleep 0.2; echo bye'; echo mid; echo after) ` +
					strings.ReplaceAll(tc.redirect, "OUT", out)
				r := run(t, call{bin: "/bin/sh", args: []string{"-c", script}, user: user})
				if r.code != 0 {
					t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
				}
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				var text []string
				exits := 0
				for _, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
					if strings.HasPrefix(l, "{") {
						var ev struct{ Type string }
						if err := json.Unmarshal([]byte(l), &ev); err != nil {
							t.Fatalf("a broken JSON line %q in:\n%s", l, b)
						}
						if ev.Type == "exit" {
							exits++
						}
						continue
					}
					text = append(text, l)
				}
				want := []string{"before", "hi", "bye", "mid", "after"}
				if strings.Contains(tc.redirect, ">>") {
					want = append([]string{"old"}, want...)
				}
				if strings.Join(text, "|") != strings.Join(want, "|") || exits == 0 {
					t.Fatalf("the command's lines %q (want %q), %d exit events, in:\n%s", text, want, exits, b)
				}
			})
		})
	}
}

// -E to a file appends: what the file held stays, and a second run adds
// its lines after the first's.
func TestEventLogAppends(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		log := filepath.Join(sharedDir(t), "events.jsonl")
		writeOwned(t, log, "kept\n", user)
		var ids []string
		for i := 0; i < 2; i++ {
			r := run(t, call{args: []string{"-E", log, "-i", "exit", "sh", "-c", "echo $CTRUN_CTID"}, user: user})
			if r.code != 0 {
				t.Fatalf("run %d: exit %d\nstderr: %s", i, r.code, r.stderr)
			}
			ids = append(ids, strings.TrimSpace(r.stdout))
		}
		b, err := os.ReadFile(log)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "kept\n") {
			t.Fatalf("the file's old content is gone:\n%s", b)
		}
		var seen []string
		for _, l := range parseLines(t, b[len("kept\n"):]) {
			id := itoa(l.Ctid)
			if len(seen) == 0 || seen[len(seen)-1] != id {
				seen = append(seen, id)
			}
		}
		if strings.Join(seen, ",") != strings.Join(ids, ",") {
			t.Fatalf("lines of contracts %v in that order, want %v:\n%s", seen, ids, b)
		}
	})
}

// A descriptor that is not open, or not open for writing, is refused
// before anything starts: one line, exit 124.
func TestEventLogBadDescriptor(t *testing.T) {
	for _, tc := range []struct {
		name, log, want string
	}{
		{"not open", "/dev/fd/9", "descriptor 9 is not open"},
		{"read only", "/dev/stdin", "descriptor 0 is not open for writing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				marker := filepath.Join(sharedDir(t), "ran")
				r := run(t, call{args: []string{"-E", tc.log, "touch", marker}, user: user, stdin: []byte{}})
				if r.code != 124 || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
					t.Fatalf("exit %d, stderr %q; want 124 and one line saying %q", r.code, r.stderr, tc.want)
				}
				if _, err := os.Stat(marker); err == nil {
					t.Fatal("the command ran")
				}
			})
		})
	}
}

// writeOwned makes a file with the given content, the user's when user.
func writeOwned(t *testing.T, path, content string, user bool) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if user {
		if err := os.Chown(path, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
}

package main

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ctrun/ctrun/terms"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
	}{
		{nil, options{count: 1}},
		{[]string{"-avj"}, options{all: true, verbose: true, json: true, count: 1}},
		{[]string{"-i", "3, 4 5", "-i6"}, options{ids: []int{3, 4, 5, 6}, count: 1}},
		{[]string{"2"}, options{interval: 2 * time.Second}},
		{[]string{"-v", "--", "2", "3"}, options{verbose: true, interval: 2 * time.Second, count: 3}},
	} {
		got, err := parseArgs(tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if got.all != tc.want.all || got.verbose != tc.want.verbose || got.json != tc.want.json ||
			got.interval != tc.want.interval || got.count != tc.want.count || !equalInts(got.ids, tc.want.ids) {
			t.Errorf("%q: %+v, want %+v", tc.args, got, tc.want)
		}
	}
	for _, args := range [][]string{
		{"-i"}, {"-i", ""}, {"-i", ","}, {"-i", "0"}, {"-i", "+1"}, {"-i", "0x10"}, {"-i", "99999999999999999999"},
		{"-x"}, {"0"}, {"-1"}, {"1", "0"}, {"1", "x"}, {"1", "2", "3"}, {"1.5"}, {"99999999999999"},
	} {
		_, err := parseArgs(args)
		var ue *terms.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: %v, want a usage error", args, err)
		}
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRunUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-i", "x"}, &out, &errb); code != exitUsage {
		t.Fatalf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(errb.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "ctstat: ") || lines[1] != usage || out.Len() != 0 {
		t.Fatalf("stdout %q, stderr %q", out.String(), errb.String())
	}
}

func TestCommandText(t *testing.T) {
	for in, want := range map[string]string{
		"plain":     "plain",
		"a b":       "'a b'",
		"it's":      `'it'\''s'`,
		"$HOME":     "'$HOME'",
		"\x1b[2J":   `"\x1b[2J"`,
		"line\nnew": `"line\nnew"`,
		"":          "''",
	} {
		if got := commandText([]string{in}); got != want {
			t.Errorf("commandText(%q) = %s, want %s", in, got, want)
		}
	}
	if got := orDash("a\x1bb"); got != `"a\x1bb"` {
		t.Errorf("orDash: %s", got)
	}
}

func TestReadStatus(t *testing.T) {
	st, err := readStatus(os.Getpid())
	if err != nil || st.nspid <= 0 || st.name == "" {
		t.Fatalf("%+v, %v", st, err)
	}
	if _, err := parseStatus([]byte("Name:\tx\nNSpid:\t\n")); err == nil {
		t.Fatal("empty NSpid accepted")
	}
	if st, err := parseStatus([]byte("Name:\ta b\nNSpid:\t4321\t7\n")); err != nil || st.name != "a b" || st.nspid != 7 {
		t.Fatalf("%+v, %v", st, err)
	}
}

// fakeHolder listens on a socket in a temp directory and answers each
// connection with answer (nothing when answer is empty).
func fakeHolder(t *testing.T, answer string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "holder.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				line, err := bufio.NewReader(c).ReadString('\n')
				if err != nil || line != statRequest {
					return
				}
				if answer == "" {
					time.Sleep(2 * time.Second)
					return
				}
				c.Write([]byte(answer))
			}()
		}
	}()
	return path
}

func TestQueryHolder(t *testing.T) {
	self := holderKey{pid: os.Getpid(), owner: os.Getuid()}
	soon := func() time.Time { return time.Now().Add(queryTimeout) }

	k := self
	k.path = fakeHolder(t, `{"queued":{"12":3,"13":0}}`+"\n")
	q, err := queryHolder(k, soon())
	if err != nil || q["12"] != 3 {
		t.Fatalf("answer: %v, %v", q, err)
	}

	// Served by another process than the record's holder: not asked.
	k2 := k
	k2.pid = os.Getpid() + 1
	if q, err := queryHolder(k2, soon()); err == nil || q != nil {
		t.Fatalf("a socket served by someone else than the holder was asked: %v, %v", q, err)
	}
	// Owned by someone else than the record's owner: not even connected to.
	k3 := k
	k3.owner = os.Getuid() + 1
	if q, err := queryHolder(k3, soon()); err == nil || q != nil {
		t.Fatalf("another user's socket was asked: %v, %v", q, err)
	}

	// A holder that does not answer costs the timeout, and counts as 0.
	k.path = fakeHolder(t, "")
	start := time.Now()
	if q, err := queryHolder(k, soon()); q != nil || err != nil {
		t.Fatalf("silent holder: %v, %v", q, err)
	}
	if d := time.Since(start); d > queryTimeout+150*time.Millisecond {
		t.Fatalf("silent holder took %v", d)
	}

	// Garbage, a symlink, a regular file, nothing: 0, no error.
	k.path = fakeHolder(t, "not json\n")
	if q, err := queryHolder(k, soon()); q != nil || err != nil {
		t.Fatalf("garbage: %v, %v", q, err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "link.sock")
	os.Symlink(fakeHolder(t, `{"queued":{"12":3}}`+"\n"), link)
	file := filepath.Join(dir, "file.sock")
	os.WriteFile(file, nil, 0o600)
	for _, p := range []string{link, file, filepath.Join(dir, "none.sock")} {
		k.path = p
		if q, err := queryHolder(k, soon()); q != nil || err != nil {
			t.Fatalf("%s: %v, %v", p, q, err)
		}
	}
}

func TestReadQueued(t *testing.T) {
	for in, want := range map[string]int{
		`{"queued":{"5":2}}` + "\n":   2,
		`{"queued":{"5":2}}`:          2, // closed without a newline
		`{"queued":{"5":-1}}` + "\n":  -1,
		`{"queued":{"5":"x"}}` + "\n": 0,
		"":                            0,
	} {
		if got := readQueued(strings.NewReader(in))["5"]; got != want {
			t.Errorf("readQueued(%q) = %d, want %d", in, got, want)
		}
	}
}

package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctrun/ctrun/getopt"
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
		var ue *getopt.UsageError
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

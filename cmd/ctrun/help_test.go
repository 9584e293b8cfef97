package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ctrun/ctrun/terms"
	"github.com/ctrun/ctrun/version"
)

func TestHelpOrVersion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "help"},
		{[]string{"--version"}, "version"},
		{[]string{"-v", "--help"}, "help"},
		{[]string{"-V", "-r", "0", "-f", "core,signal", "--version", "sh"}, "version"},
		{[]string{"-fcore", "--help"}, "help"},
		{[]string{"-tr1", "--help"}, "help"},
		{[]string{"-a", "12", "--help"}, "help"},
		{[]string{"-E", "", "--version"}, "version"},
		{[]string{"sh", "--help"}, ""},                  // sh's --help
		{[]string{"-v", "sh", "-c", "x", "--help"}, ""}, // sh's too
		{[]string{"--", "--help"}, ""},                  // a command named --help
		{[]string{"-f", "--help", "sh"}, ""},            // -f's (bad) event list
		{[]string{"-A", "--version", "sh"}, ""},         // -A's note
		{[]string{"--bogus"}, ""},                       // a usage error
		{[]string{"-x", "--help"}, ""},                  // the usage error comes first
		{[]string{"--help=me"}, ""},
		{nil, ""},
	} {
		if got := helpOrVersion(tc.args); got != tc.want {
			t.Errorf("helpOrVersion(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// The help lists every option of terms.Parse, and only those.
func TestOptstringIsTerms(t *testing.T) {
	for c := byte(0x21); c < 0x7f; c++ {
		if c == '-' || c == ':' {
			continue
		}
		letter := "-" + string(c)
		_, _, _, err := terms.Parse([]string{letter})
		var ue *terms.UsageError
		var want string // what terms.Parse makes of the letter alone
		switch {
		case errors.As(err, &ue) && strings.HasPrefix(ue.Msg, "unknown option"):
			want = "unknown"
		case errors.As(err, &ue) && strings.HasSuffix(ue.Msg, "needs an argument"):
			want = "argument"
		default:
			want = "flag"
		}
		got := "unknown"
		if i := strings.IndexByte(optstring, c); i >= 0 {
			got = "flag"
			if i+1 < len(optstring) && optstring[i+1] == ':' {
				got = "argument"
			}
		}
		if got != want {
			t.Errorf("%s: optstring says %s, terms.Parse %s (%v)", letter, got, want, err)
		}
		if got != "unknown" && !strings.Contains(help, "\n  "+letter+" ") {
			t.Errorf("%s is not in the help", letter)
		}
	}
}

func TestAnswer(t *testing.T) {
	for _, tc := range []struct {
		what string
		want []string // lines the output starts with
	}{
		{"help", []string{terms.Usage, ""}},
		{"version", []string{version.Line("ctrun")}},
	} {
		var out, errb bytes.Buffer
		if code := answer(tc.what, &out, &errb); code != 0 || errb.Len() != 0 {
			t.Errorf("--%s: exit %d, stderr %q", tc.what, code, errb.String())
		}
		lines := strings.Split(out.String(), "\n")
		for i, w := range tc.want {
			if i >= len(lines) || lines[i] != w {
				t.Errorf("--%s: line %d is %q, want %q", tc.what, i+1, lines[min(i, len(lines)-1)], w)
			}
		}
	}
	// Standard output closed: the reason on stderr, and ctrun's own failure.
	var errb bytes.Buffer
	if code := answer("help", failingWriter{}, &errb); code != 124 || !strings.HasPrefix(errb.String(), "ctrun: --help: ") {
		t.Errorf("--help to a closed stdout: exit %d, stderr %q", code, errb.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("bad file descriptor") }

package main

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/ctrun/ctrun/version"
)

func TestHelpOrVersion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "help"},
		{[]string{"--version"}, "version"},
		{[]string{"-r", "--help", "7"}, "help"},
		{[]string{"-s", "KILL", "--version"}, "version"},
		{[]string{"--signal", "KILL", "--help"}, "help"},
		{[]string{"--signal=KILL", "--random", "--help"}, "help"},
		{[]string{"-sKILL", "--help"}, "help"},
		{[]string{"-s", "--help", "--version"}, "version"}, // the first is -s's
		{[]string{"-s", "--help", "7"}, ""},                // -s's argument (a bad signal)
		{[]string{"--signal", "--help", "7"}, ""},          // the same, spelled out
		{[]string{"--pid", "--version", "7"}, ""},          // --pid's argument
		{[]string{"7", "--help"}, ""},                      // after the operand
		{[]string{"--", "--help"}, ""},                     // after --
		{[]string{"--bogus", "--help"}, ""},                // the usage error comes first
		{[]string{"-x", "--help"}, ""},
		{[]string{"--help=1"}, ""},
		{nil, ""},
	} {
		if got := helpOrVersion(tc.args); got != tc.want {
			t.Errorf("helpOrVersion(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// Where helpOrVersion finds nothing, parse's answer is what it was: the
// usage errors the words make, unchanged.
func TestParseWithoutHelp(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string
	}{
		{[]string{"-s", "--help", "7"}, "-s --help: no such signal"},
		{[]string{"7", "--help"}, "one contract id only (\"--help\" is one too many)"},
		{[]string{"--", "--help"}, "\"--help\": not a contract id"},
		{[]string{"--bogus", "--help"}, "unknown option --bogus"},
		{[]string{"--help=1"}, "unknown option --help"},
	} {
		if _, err := parse(tc.args); err == nil || err.Error() != tc.err {
			t.Errorf("parse(%q) error %v, want %q", tc.args, err, tc.err)
		}
	}
}

// The help names every option, short and long.
func TestHelpNamesEveryOption(t *testing.T) {
	for name, letter := range longOptions {
		if !strings.Contains(help, "\n  -"+string(letter)+", --"+name) {
			t.Errorf("-%c, --%s is not in the help", letter, name)
		}
	}
	if n := len(strings.ReplaceAll(optstring, ":", "")); n != len(longOptions) {
		t.Errorf("%d letters, %d long options: the help lists pairs", n, len(longOptions))
	}
}

func TestAnswer(t *testing.T) {
	for what, want := range map[string]string{"help": usage + "\n\n", "version": version.Line("ctkill") + "\n"} {
		var out, errb bytes.Buffer
		if code := answer(what, &out, &errb); code != 0 || errb.Len() != 0 || !strings.HasPrefix(out.String(), want) {
			t.Errorf("--%s: exit %d, stdout %q, stderr %q", what, code, out.String(), errb.String())
		}
	}
	var errb bytes.Buffer
	if code := answer("version", failingWriter{}, &errb); code != exitFail || !strings.HasPrefix(errb.String(), "ctkill: --version: ") {
		t.Errorf("--version to a closed stdout: exit %d, stderr %q", code, errb.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("bad file descriptor") }

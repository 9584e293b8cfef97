package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ctrun/ctrun/version"
)

// --help and --version where an option may stand; everywhere else, the
// command line means what it meant before (a usage error, exit 2).
func TestHelpAndVersion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // what stdout starts with
		err  string // what stderr starts with
	}{
		{[]string{"--help"}, 0, usage + "\n\n", ""},
		{[]string{"--version"}, 0, version.Line("ctwatch") + "\n", ""},
		{[]string{"-fv", "--help"}, 0, usage, ""},
		{[]string{"-j", "--version", "12"}, 0, version.Line("ctwatch"), ""},
		{[]string{"12", "--help"}, 2, "", "ctwatch: invalid contract id \"--help\""},
		{[]string{"--", "--version"}, 2, "", "ctwatch: invalid contract id \"--version\""},
		{[]string{"--bogus"}, 2, "", "ctwatch: unknown option --bogus\n"},
		{[]string{"-x", "--help"}, 2, "", "ctwatch: unknown option -x"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		if code != tc.code || !strings.HasPrefix(out.String(), tc.out) || !strings.HasPrefix(errb.String(), tc.err) ||
			(tc.out == "") != (out.Len() == 0) || (tc.err == "") != (errb.Len() == 0) {
			t.Errorf("ctwatch %q: exit %d, stdout %q, stderr %q; want exit %d, stdout %q..., stderr %q...",
				tc.args, code, out.String(), errb.String(), tc.code, tc.out, tc.err)
		}
	}
}

// The help names every letter of the optstring.
func TestHelpNamesEveryOption(t *testing.T) {
	for _, c := range optstring {
		if !strings.Contains(help, "\n  -"+string(c)+" ") {
			t.Errorf("-%c is not in the help", c)
		}
	}
}

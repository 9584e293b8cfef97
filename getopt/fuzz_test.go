package getopt

import (
	"strings"
	"testing"
)

// FuzzParse feeds Parse and Long any command line (words separated by NUL,
// as the kernel hands them over) and any optstring: neither may panic, an
// error is a one-line *UsageError, every option returned is a letter of
// the optstring with an argument only when it takes one, and the operands
// are the tail of the command line.
func FuzzParse(f *testing.F) {
	for _, seed := range []struct{ args, optstring string }{
		{"-i\x00fork,exit\x00-f\x00core\x00sh\x00-c\x00true", "i:f:l:o:r:tvVF:A:a:E:"},
		{"-tr1\x00--\x00-x", "i:f:l:o:r:tvVF:A:a:E:"},
		{"-ai7\x00-vj\x002\x003", "ai:vj"},
		{"-s\x00KILL\x00-p\x0012\x007", "s:arlp:n"},
		{"-f\x00--help", "f:"},
		{"--version", "v"},
		{"-\x00-x", "x"},
		{"-:", "a:"},
		{"-\n", "a"},
		{"", ""},
	} {
		f.Add(seed.args, seed.optstring)
	}
	f.Fuzz(func(t *testing.T, joined, optstring string) {
		args := splitArgs(joined)
		_ = Long(args, optstring, "help", "version")
		opts, operands, err := Parse(args, optstring)
		if err != nil {
			if _, ok := err.(*UsageError); !ok {
				t.Fatalf("Parse(%q, %q): error %T, want *UsageError", args, optstring, err)
			}
			if msg := err.Error(); strings.ContainsAny(msg, "\n\r") || msg == "" {
				t.Fatalf("Parse(%q, %q): error %q is not one line", args, optstring, msg)
			}
			return
		}
		takes := letters(optstring)
		for _, o := range opts {
			arg, known := takes[o.Letter]
			if !known || o.Letter == ':' {
				t.Fatalf("Parse(%q, %q): option -%c is not in the optstring", args, optstring, o.Letter)
			}
			if !arg && o.Arg != "" {
				t.Fatalf("Parse(%q, %q): -%c takes no argument, got %q", args, optstring, o.Letter, o.Arg)
			}
		}
		if len(operands) > len(args) || strings.Join(operands, "\x00") != strings.Join(args[len(args)-len(operands):], "\x00") {
			t.Fatalf("Parse(%q, %q): operands %q are not the command line's tail", args, optstring, operands)
		}
	})
}

// splitArgs reads a fuzzed command line: words separated by NUL ("" is no
// word at all).
func splitArgs(joined string) []string {
	if joined == "" {
		return nil
	}
	return strings.Split(joined, "\x00")
}

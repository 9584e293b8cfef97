package main

import (
	"strings"
	"testing"

	"github.com/ctrun/ctrun/terms"
)

// FuzzArgs feeds ctrun's command line as main reads it before anything is
// started (--help/--version, then the terms): no panic, and every message
// it would print — error, warnings — is one line.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"--help", "-f\x00--help", "-r\x003\x00--version\x00x", "-i\x00fork,exit\x00-v\x00-E\x00/dev/null\x00sh",
		"-a\x007", "-a\x007\x00true", "--bogus", "-t\x00true", "-\x00x", "--\x00-x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		if what := helpOrVersion(args); what != "" && what != "help" && what != "version" {
			t.Fatalf("helpOrVersion(%q) = %q", args, what)
		}
		_, argv, warnings, err := terms.Parse(args)
		for _, w := range append(warnings, errText(err)) {
			if strings.ContainsAny(w, "\n\r") {
				t.Fatalf("ctrun %q: message %q is not one line", args, w)
			}
		}
		if err == nil && len(argv) > 0 {
			// What lookPath is given: it must answer, never panic, for
			// any name (an absolute one is not looked up on PATH).
			if _, _, err := lookPath(argv[0], "/nonexistent-ctrun-fuzz"); err != nil && strings.ContainsAny(err.Error(), "\n\r") && !strings.ContainsAny(argv[0], "\n\r") {
				t.Fatalf("lookPath(%q): %q is not one line", argv[0], err)
			}
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

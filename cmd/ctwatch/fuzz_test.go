package main

import (
	"strings"
	"testing"
)

// FuzzArgs feeds ctwatch's command line: no panic, an error is one line,
// and what parses names positive contract ids only.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{"", "-f", "-frvj\x007\x008", "--\x00-1", "0", "x", "--help", "-f\x00--version", "-z"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		o, err := parse(args)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("parse(%q): error %q is not one line", args, msg)
			}
			return
		}
		for _, id := range o.ids {
			if id <= 0 {
				t.Fatalf("parse(%q): id %d", args, id)
			}
		}
	})
}

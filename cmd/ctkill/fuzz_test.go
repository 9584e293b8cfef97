package main

import (
	"strings"
	"testing"
)

// FuzzArgs feeds ctkill's command line: no panic, an error is one line,
// and what parses names one positive contract id and a signal ctkill can
// send.
func FuzzArgs(f *testing.F) {
	for _, seed := range []string{
		"7", "-s\x00SEGV\x00-r\x007", "-sKILL\x00-p\x0012\x007", "--signal=segv\x00--pid=12\x007",
		"--list\x00--numeric\x007", "--\x007", "--bogus\x007", "-l\x00-s\x000\x007", "-s\x00rtmin+3\x007",
		"-s\x0065\x007", "--signal\x00", "-p\x00-1\x007", "--help",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		_ = helpOrVersion(args)
		req, err := parse(args)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.ContainsAny(msg, "\n\r") {
				t.Fatalf("parse(%q): error %q is not one line", args, msg)
			}
			return
		}
		if req.id <= 0 || req.mode == 0 || req.mode == modePid && req.pid <= 0 {
			t.Fatalf("parse(%q) = %+v", args, req)
		}
		if req.sig < 0 || req.sig > 64 {
			t.Fatalf("parse(%q): signal %d", args, req.sig)
		}
	})
}

// Command soak is ctrun's soak benchmark (make soak, issue 11): a holder
// left running must stay flat. It drives the real binaries and reads the
// holder's (and ctwatch's) VmRSS, open descriptors and threads from /proc
// at checkpoints, printing them and the growth since the first:
//
//	restarts  ctrun -v -r N -f core sh -c 'sleep 1.02; kill -SEGV $$'
//	          (each run outlasts the crash-loop threshold, so no pause),
//	          with ctwatch -f attached throughout; first checkpoint at
//	          restart 10
//	forks     ctrun -i fork,exit -v -E file, a command that forks N times;
//	          first checkpoint at 1% of the forks
//	clients   N ctwatch -f clients in turn, each connecting, reading a
//	          line and being stopped, against one holder
//
// Memory, descriptors and threads only: no timings (those are hack/bench.sh's).
// Every contract it starts it ends; run it as root or as any user.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	bin := flag.String("bin", "bin", "the directory of ctrun and ctwatch")
	restarts := flag.Int("restarts", 1000, "restarts of the restarts scenario")
	forks := flag.Int("forks", 100000, "forks of the forks scenario")
	clients := flag.Int("clients", 100, "ctwatch clients of the clients scenario")
	run := flag.String("run", "restarts,forks,clients", "scenarios to run, in order")
	flag.Parse()
	abs, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	s := soak{ctrun: filepath.Join(abs, "ctrun"), ctwatch: filepath.Join(abs, "ctwatch")}
	scenarios := map[string]func() error{
		"restarts": func() error { return s.restarts(*restarts) },
		"forks":    func() error { return s.forks(*forks) },
		"clients":  func() error { return s.clients(*clients) },
	}
	status := 0
	for _, name := range splitComma(*run) {
		f, ok := scenarios[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "soak: unknown scenario %q (restarts, forks, clients)\n", name)
			os.Exit(2)
		}
		if err := f(); err != nil {
			fmt.Fprintf(os.Stderr, "soak: %s: %v\n", name, err)
			status = 1
		}
	}
	os.Exit(status)
}

// soak knows where the binaries are.
type soak struct {
	ctrun, ctwatch string
}

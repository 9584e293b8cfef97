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
//	many      N holders crashing and restarting at once for a duration,
//	          SIGKILLed at random, ctstat checked against the process
//	          table throughout, and nothing left after the clean-up
//	          (many.go; not in the default list: make soak-many)
//
// Memory, descriptors and threads only: no timings (those are hack/bench.sh's);
// many prints counts and verdicts, and exits 1 if a check failed.
// Every contract it starts it ends; run it as root or as any user.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func main() {
	bin := flag.String("bin", "bin", "the directory of ctrun and ctwatch")
	restarts := flag.Int("restarts", 1000, "restarts of the restarts scenario")
	forks := flag.Int("forks", 100000, "forks of the forks scenario")
	clients := flag.Int("clients", 100, "ctwatch clients of the clients scenario")
	contracts := flag.Int("contracts", 100, "holders running at once in the many scenario")
	duration := flag.Duration("duration", 10*time.Minute, "how long the many scenario runs")
	killEvery := flag.Duration("kill-every", 2*time.Second, "mean time between two holder kills in the many scenario")
	samplers := flag.Int("samplers", 4, "ctstat listings taken at once in the many scenario")
	uid := flag.Int("uid", -1, "the user the many scenario runs its commands as (-1: the caller; another needs root)")
	seed := flag.Uint64("seed", 0, "the many scenario's random seed (0: from the clock)")
	run := flag.String("run", "restarts,forks,clients", "scenarios to run, in order (restarts, forks, clients, many)")
	flag.Parse()
	abs, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(2)
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}
	s := soak{bin: abs, ctrun: filepath.Join(abs, "ctrun"), ctwatch: filepath.Join(abs, "ctwatch"),
		ctstat: filepath.Join(abs, "ctstat"), ctkill: filepath.Join(abs, "ctkill")}
	scenarios := map[string]func() error{
		"restarts": func() error { return s.restarts(*restarts) },
		"forks":    func() error { return s.forks(*forks) },
		"clients":  func() error { return s.clients(*clients) },
		"many": func() error {
			return s.many(manyConfig{contracts: *contracts, duration: *duration, killEvery: *killEvery, samplers: max(1, *samplers), uid: *uid, seed: *seed})
		},
	}
	status := 0
	for _, name := range splitComma(*run) {
		f, ok := scenarios[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "soak: unknown scenario %q (restarts, forks, clients, many)\n", name)
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
	bin                            string
	ctrun, ctwatch, ctstat, ctkill string
}

// Command ctstat lists process contracts: one line per contract with its
// id, type, state, holder and the number of events its holder keeps
// queued; with -v the terms, members, service name, aux and creator; with
// -j the same as JSON lines. See ctstat(1) and the semantics page,
// section 5.
package main

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/ctrun/ctrun/getopt"
	"github.com/ctrun/ctrun/registry"
)

// Exit statuses (ctstat(1)).
const (
	exitOK       = 0 // every record read cleanly
	exitProblems = 1 // some records (or the state directory) could not be used
	exitUsage    = 2 // the command line is wrong
)

const usage = "usage: ctstat [-a] [-i ctid,...] [-v] [-j] [interval [count]]"

// options are what the command line asks for.
type options struct {
	all     bool  // -a: also show contracts being collected (dead)
	ids     []int // -i: only these contracts (empty: all)
	verbose bool  // -v: details under each contract's line
	json    bool  // -j: one JSON object per contract per line
	// interval between listings; count listings, 0 meaning forever.
	interval time.Duration
	count    int
}

// details says whether the listing needs members and every field: -v and
// -j do, the plain listing does not (and so skips the /proc scan).
func (o options) details() bool { return o.verbose || o.json }

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is ctstat without the process around it, so that its exit status
// and output can be checked as a whole.
func run(args []string, stdout, stderr io.Writer) int {
	if what := getopt.Long(args, optstring, "help", "version"); what != "" {
		return answer(what, stdout, stderr)
	}
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "ctstat: %s\n%s\n", oneLine(err.Error()), usage)
		return exitUsage
	}
	state, err := registry.StateDir()
	if err != nil {
		fmt.Fprintf(stderr, "ctstat: %s\n", oneLine(err.Error()))
		return exitProblems
	}
	out := bufio.NewWriter(stdout)
	status := exitOK
	for i := 0; o.count == 0 || i < o.count; i++ {
		if i > 0 {
			time.Sleep(o.interval)
		}
		l := collect(registry.Dirs(state), o)
		if err := write(out, l, o); err != nil {
			fmt.Fprintf(stderr, "ctstat: write the listing: %s\n", oneLine(err.Error()))
			return exitProblems
		}
		for _, p := range l.problems {
			fmt.Fprintf(stderr, "ctstat: warning: %s\n", oneLine(p.Error()))
		}
		if len(l.problems) > 0 {
			status = exitProblems
		}
	}
	return status
}

// parseArgs reads the command line (without the program name) as
// getopt(3) would. Every error is a usage error.
func parseArgs(args []string) (options, error) {
	var o options
	opts, operands, err := getopt.Parse(args, optstring)
	if err != nil {
		return o, err
	}
	for _, op := range opts {
		switch op.Letter {
		case 'a':
			o.all = true
		case 'v':
			o.verbose = true
		case 'j':
			o.json = true
		case 'i':
			ids, err := parseIDs(op.Arg)
			if err != nil {
				return o, err
			}
			o.ids = append(o.ids, ids...)
		}
	}
	return o, parseRepeat(&o, operands)
}

// parseRepeat reads the operands "[interval [count]]". Without an
// interval there is one listing; with one and no count, listings go on
// until ctstat is stopped.
func parseRepeat(o *options, operands []string) error {
	o.count = 1
	switch len(operands) {
	case 0:
		return nil
	case 1, 2:
	default:
		return usagef("too many operands (%q): expected [interval [count]]", strings.Join(operands, " "))
	}
	secs, err := positive(operands[0], "interval")
	if err != nil {
		return err
	}
	if secs > math.MaxInt64/int(time.Second) {
		return usagef("interval %q is out of range", operands[0])
	}
	o.interval = time.Duration(secs) * time.Second
	o.count = 0
	if len(operands) == 2 {
		if o.count, err = positive(operands[1], "count"); err != nil {
			return err
		}
	}
	return nil
}

// parseIDs reads a list of contract ids separated by commas or spaces.
func parseIDs(s string) ([]int, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(fields) == 0 {
		return nil, usagef("-i needs at least one contract id, not %q", s)
	}
	ids := make([]int, 0, len(fields))
	for _, f := range fields {
		id, err := positive(f, "contract id")
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// positive reads a positive decimal integer (digits only: no sign, no
// spaces, no hex), naming what in the error.
func positive(s, what string) (int, error) {
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, usagef("invalid %s %q: not a positive integer", what, s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		if s != "" && err != nil {
			return 0, usagef("%s %q is out of range", what, s)
		}
		return 0, usagef("invalid %s %q: not a positive integer", what, s)
	}
	return n, nil
}

func usagef(format string, a ...any) error {
	return getopt.Usagef(format, a...)
}

// oneLine keeps a message on one line, whatever a record or the system
// put in it: each warning is one line on stderr.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

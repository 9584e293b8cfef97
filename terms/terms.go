// Package terms holds a contract's terms — which events are reported,
// which are fatal, the lifetime, the options, the restart budget — and
// reads them from ctrun's command line exactly as the semantics page
// (section 2) states, usage errors included.
package terms

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ctrun/ctrun/getopt"
)

// UsageError is a command line that cannot be run: exit 125 with the
// message and the usage line.
type UsageError = getopt.UsageError

var usagef = getopt.Usagef

// Event is one kind of contract event.
type Event uint

const (
	Core Event = 1 << iota
	Signal
	HWErr
	Exit
	Fork
	Empty
)

var eventNames = []struct {
	ev   Event
	name string
}{
	{Core, "core"}, {Signal, "signal"}, {HWErr, "hwerr"}, {Exit, "exit"}, {Fork, "fork"}, {Empty, "empty"},
}

// String is the event's name on the command line and in every report.
func (e Event) String() string {
	for _, n := range eventNames {
		if n.ev == e {
			return n.name
		}
	}
	return fmt.Sprintf("event(%d)", uint(e))
}

// EventSet is a set of events.
type EventSet uint

// Has says whether e is in the set.
func (s EventSet) Has(e Event) bool { return uint(s)&uint(e) != 0 }

// Names lists the set's events in the page's order ("none" when empty).
func (s EventSet) Names() []string {
	var out []string
	for _, n := range eventNames {
		if s.Has(n.ev) {
			out = append(out, n.name)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

func (s EventSet) String() string { return strings.Join(s.Names(), ",") }

// Fatalable are the events that may be fatal.
const Fatalable = EventSet(Core | Signal | HWErr)

// Lifetime says when ctrun returns.
type Lifetime int

const (
	LifeContract Lifetime = iota // when the contract is empty
	LifeChild                    // when the command's process exits
	LifeNone                     // once the command has been started
)

var lifetimeNames = []string{"contract", "child", "none"}

func (l Lifetime) String() string { return lifetimeNames[l] }

// Options are the contract's -o options.
type Options struct {
	NoOrphan bool
	PgrpOnly bool
	Regent   bool
	Inherit  bool
}

// Names lists the options that are set ("none" when none is).
func (o Options) Names() []string {
	var out []string
	for _, x := range []struct {
		on   bool
		name string
	}{{o.NoOrphan, "noorphan"}, {o.PgrpOnly, "pgrponly"}, {o.Regent, "regent"}, {o.Inherit, "inherit"}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// Verbosity is how much ctrun reports on stderr.
type Verbosity int

const (
	Quiet   Verbosity = iota
	Verbose           // -v: one line per event and per action
	Detail            // -V: every detail of each event
)

// Terms are everything the command line says about a contract.
type Terms struct {
	Informative EventSet
	Fatal       EventSet
	Lifetime    Lifetime
	Options     Options
	// Restart: -r was given; Restarts is its count (0 = without limit).
	Restart  bool
	Restarts int
	// Transfer (-t): hand inherited sub-contracts to the next contract.
	Transfer  bool
	Verbosity Verbosity
	FMRI      string
	Aux       string
	// Adopt (-a) is the id of an orphaned contract to take over; 0 if none.
	Adopt int
	// EventLog (-E) is a file that receives the JSON event stream.
	EventLog string
	// Grace (-g, when GraceSet) is how long members may outlive a user
	// stop; without -g, Grace (the function) decides.
	Grace    time.Duration
	GraceSet bool
}

// Default are the terms without options: core informative, hwerr fatal,
// lifetime contract, never restarted.
func Default() Terms {
	return Terms{Informative: EventSet(Core), Fatal: EventSet(HWErr), Lifetime: LifeContract}
}

// Usage is ctrun's usage line: one line, as the semantics page asks of a
// usage error (a one-line reason, then the usage line), both forms on it.
const Usage = `usage: ctrun [-i eventlist] [-f eventlist] [-l lifetime] [-o optionlist] [-r count [-t]] [-v | -V] [-F fmri] [-A aux] [-E file] [-g grace] command [argument...] | ctrun -a ctid [-v | -V] [-E file] [-g grace]`

const optstring = "i:f:l:o:r:tvVF:A:a:E:g:"

// Parse reads ctrun's arguments (without the program name). It returns the
// terms, the command and its arguments, and warnings to print (empty or
// repeated list elements). Any error is a *UsageError.
func Parse(args []string) (Terms, []string, []string, error) {
	t := Default()
	var warnings []string
	opts, operands, err := getopt.Parse(args, optstring)
	if err != nil {
		return t, nil, nil, err
	}
	seenR := false
	others := false // options other than those -a takes
	for _, o := range opts {
		if !strings.ContainsRune("avVEg", rune(o.Letter)) {
			others = true
		}
		switch o.Letter {
		case 'i', 'f':
			set, w, err := parseEvents(o.Arg, o.Letter)
			warnings = append(warnings, w...)
			if err != nil {
				return t, nil, warnings, err
			}
			if o.Letter == 'i' {
				t.Informative = set
			} else {
				t.Fatal = set
			}
		case 'l':
			l, err := parseLifetime(o.Arg)
			if err != nil {
				return t, nil, warnings, err
			}
			t.Lifetime = l
		case 'o':
			op, w, err := parseOptions(o.Arg)
			warnings = append(warnings, w...)
			if err != nil {
				return t, nil, warnings, err
			}
			t.Options = op
		case 'r':
			n, err := parseCount(o.Arg)
			if err != nil {
				return t, nil, warnings, err
			}
			t.Restart, t.Restarts, seenR = true, n, true
		case 't':
			t.Transfer = true
		case 'v':
			if t.Verbosity < Verbose {
				t.Verbosity = Verbose
			}
		case 'V':
			t.Verbosity = Detail
		case 'F':
			t.FMRI = o.Arg
		case 'A':
			t.Aux = o.Arg
		case 'E':
			if o.Arg == "" {
				return t, nil, warnings, usagef("-E needs a file name")
			}
			t.EventLog = o.Arg
		case 'g':
			d, err := ParseGrace(o.Arg)
			if err != nil {
				return t, nil, warnings, usagef("-g: %v", err)
			}
			t.Grace, t.GraceSet = d, true
		case 'a':
			id, err := strconv.Atoi(o.Arg)
			if err != nil || id <= 0 || !allDigits(o.Arg) {
				return t, nil, warnings, usagef("invalid contract id %q for -a", o.Arg)
			}
			t.Adopt = id
		}
	}
	if t.Adopt != 0 {
		switch {
		case len(operands) > 0:
			return t, nil, warnings, usagef("-a takes over an existing contract and runs no command")
		case others:
			return t, nil, warnings, usagef("-a takes no option but -v, -V, -E or -g (the contract keeps its own terms)")
		}
		return t, nil, warnings, nil
	}
	if len(operands) == 0 {
		return t, nil, warnings, usagef("no command given")
	}
	switch {
	case t.Transfer && !seenR:
		return t, nil, warnings, usagef("-t needs -r")
	case t.Restart && t.Lifetime != LifeContract:
		return t, nil, warnings, usagef("-r needs lifetime contract, not %s", t.Lifetime)
	case t.Restart && t.Options.PgrpOnly:
		return t, nil, warnings, usagef("-r cannot be combined with pgrponly")
	case t.Options.NoOrphan && t.Lifetime == LifeNone:
		return t, nil, warnings, usagef("noorphan cannot be combined with lifetime none")
	}
	return t, operands, warnings, nil
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func parseCount(s string) (int, error) {
	if !allDigits(s) {
		return 0, usagef("-r needs a non-negative integer, not %q", s)
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, usagef("-r count %q is out of range", s)
	}
	return n, nil
}

func parseLifetime(s string) (Lifetime, error) {
	for i, n := range lifetimeNames {
		if s == n {
			return Lifetime(i), nil
		}
	}
	return 0, usagef("unknown lifetime %q (contract, child or none)", s)
}

// splitList splits a list on commas and spaces. Empty elements (two commas
// in a row, a leading or trailing comma, an empty list) are dropped with a
// warning; repeated ones are kept once, with a warning.
func splitList(s, what string) ([]string, []string) {
	var out, warnings []string
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			warnings = append(warnings, fmt.Sprintf("empty element in %s list %q ignored", what, s))
			continue
		}
		for _, f := range fields {
			if seen[f] {
				warnings = append(warnings, fmt.Sprintf("%s %q given twice in %q", what, f, s))
				continue
			}
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, warnings
}

func parseEvents(s string, letter byte) (EventSet, []string, error) {
	names, warnings := splitList(s, "event")
	var set EventSet
	for _, n := range names {
		if n == "none" {
			if len(names) > 1 {
				return 0, warnings, usagef("none cannot be combined with other events in -%c %q", letter, s)
			}
			return 0, warnings, nil
		}
		var ev Event
		for _, en := range eventNames {
			if en.name == n {
				ev = en.ev
			}
		}
		if ev == 0 {
			return 0, warnings, usagef("unknown event %q in -%c (%s)", n, letter, validEvents(letter))
		}
		if letter == 'f' && !Fatalable.Has(ev) {
			return 0, warnings, usagef("%s cannot be fatal (-f takes core, signal, hwerr)", n)
		}
		set |= EventSet(ev)
	}
	return set, warnings, nil
}

// validEvents lists the names -i or -f takes, for its error: every event
// for -i; for -f those that may be fatal, and why the others are not.
func validEvents(letter byte) string {
	if letter == 'f' {
		return "core, signal, hwerr or none; exit, fork and empty cannot be fatal"
	}
	return "core, signal, hwerr, exit, fork, empty or none"
}

func parseOptions(s string) (Options, []string, error) {
	names, warnings := splitList(s, "option")
	var o Options
	for _, n := range names {
		switch n {
		case "none":
			if len(names) > 1 {
				return Options{}, warnings, usagef("none cannot be combined with other options in -o %q", s)
			}
		case "noorphan":
			o.NoOrphan = true
		case "pgrponly":
			o.PgrpOnly = true
		case "regent":
			o.Regent = true
		case "inherit":
			o.Inherit = true
		default:
			return Options{}, warnings, usagef("unknown option %q in -o (noorphan, pgrponly, regent, inherit)", n)
		}
	}
	return o, warnings, nil
}

// FromRecord rebuilds terms from their recorded names (a contract's
// record, for adoption): the event sets, lifetime and options.
func FromRecord(informative, fatal []string, lifetime string, options []string) (Terms, error) {
	t := Default()
	var err error
	if t.Informative, _, err = parseEvents(strings.Join(informative, ","), 'i'); err != nil {
		return t, err
	}
	if t.Fatal, _, err = parseEvents(strings.Join(fatal, ","), 'f'); err != nil {
		return t, err
	}
	if t.Lifetime, err = parseLifetime(lifetime); err != nil {
		return t, err
	}
	if t.Options, _, err = parseOptions(strings.Join(options, ",")); err != nil {
		return t, err
	}
	return t, nil
}

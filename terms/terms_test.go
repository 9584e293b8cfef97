package terms

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func set(evs ...Event) EventSet {
	var s EventSet
	for _, e := range evs {
		s |= EventSet(e)
	}
	return s
}

func TestParseDefaults(t *testing.T) {
	tm, cmd, warnings, err := Parse([]string{"cmd", "arg"})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := Terms{Informative: set(Core), Fatal: set(HWErr), Lifetime: LifeContract}
	if !reflect.DeepEqual(tm, want) {
		t.Errorf("terms = %+v, want %+v", tm, want)
	}
	if !reflect.DeepEqual(tm, Default()) {
		t.Errorf("terms = %+v, want Default() %+v", tm, Default())
	}
	if !reflect.DeepEqual(cmd, []string{"cmd", "arg"}) {
		t.Errorf("command = %q, want [cmd arg]", cmd)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings = %q, want none", warnings)
	}
	if tm.Restart || tm.Restarts != 0 || tm.Transfer || tm.Adopt != 0 {
		t.Errorf("defaults restart/transfer/adopt: %+v", tm)
	}
}

func TestParseUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no arguments", nil},
		{"no command", []string{"-v"}},
		{"no command after double dash", []string{"-v", "--"}},
		{"unknown option letter", []string{"-x", "cmd"}},
		{"missing option argument", []string{"-f"}},
		{"missing option argument after others", []string{"-v", "-i"}},
		{"unknown event in -i", []string{"-i", "core,bogus", "cmd"}},
		{"unknown event in -f", []string{"-f", "segv", "cmd"}},
		{"event names are case sensitive", []string{"-i", "CORE", "cmd"}},
		{"exit in -f", []string{"-f", "exit", "cmd"}},
		{"fork in -f", []string{"-f", "fork", "cmd"}},
		{"empty in -f", []string{"-f", "empty", "cmd"}},
		{"exit among fatal events", []string{"-f", "core,exit", "cmd"}},
		{"unknown lifetime", []string{"-l", "forever", "cmd"}},
		{"empty lifetime", []string{"-l", "", "cmd"}},
		{"unknown -o option", []string{"-o", "noorphan,bogus", "cmd"}},
		{"none with other events in -i", []string{"-i", "none,core", "cmd"}},
		{"none after other events in -i", []string{"-i", "core none", "cmd"}},
		{"none with other events in -f", []string{"-f", "signal,none", "cmd"}},
		{"none with other options in -o", []string{"-o", "none,regent", "cmd"}},
		{"none after other options in -o", []string{"-o", "regent none", "cmd"}},
		{"-r not a number", []string{"-r", "many", "cmd"}},
		{"-r negative", []string{"-r", "-1", "cmd"}},
		{"-r with plus sign", []string{"-r", "+1", "cmd"}},
		{"-r fraction", []string{"-r", "1.5", "cmd"}},
		{"-r empty", []string{"-r", "", "cmd"}},
		{"-r with space", []string{"-r", " 1", "cmd"}},
		{"-r hexadecimal", []string{"-r", "0x10", "cmd"}},
		{"-r overflow", []string{"-r", "99999999999999999999", "cmd"}},
		{"-r with lifetime child", []string{"-r", "1", "-l", "child", "cmd"}},
		{"-r with lifetime none", []string{"-l", "none", "-r", "0", "cmd"}},
		{"-r with pgrponly", []string{"-r", "1", "-o", "pgrponly", "cmd"}},
		{"-r with pgrponly among options", []string{"-o", "regent,pgrponly", "-r", "2", "cmd"}},
		{"-t without -r", []string{"-t", "cmd"}},
		{"-t without -r, grouped", []string{"-tv", "cmd"}},
		{"noorphan with lifetime none", []string{"-o", "noorphan", "-l", "none", "cmd"}},
		{"noorphan among options with lifetime none", []string{"-l", "none", "-o", "inherit noorphan", "cmd"}},
		{"-a with a command", []string{"-a", "5", "cmd"}},
		{"-a zero", []string{"-a", "0"}},
		{"-a negative", []string{"-a", "-3"}},
		{"-a with plus sign", []string{"-a", "+3"}},
		{"-a not a number", []string{"-a", "abc"}},
		{"-a empty", []string{"-a", ""}},
		{"-a overflow", []string{"-a", "99999999999999999999"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, cmd, _, err := Parse(tc.args)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error = %v (%T), want *UsageError", tc.args, err, err)
			}
			if ue.Msg == "" || strings.Contains(ue.Msg, "\n") {
				t.Errorf("usage error %q: want a one-line reason", ue.Msg)
			}
			if cmd != nil {
				t.Errorf("Parse(%q) returned command %q with a usage error", tc.args, cmd)
			}
		})
	}
}

func TestParseValid(t *testing.T) {
	d := Default()
	with := func(f func(*Terms)) Terms {
		t := d
		f(&t)
		return t
	}
	for _, tc := range []struct {
		name string
		args []string
		want Terms
		cmd  []string
	}{
		{
			name: "informative list with commas and spaces",
			args: []string{"-i", "core, fork exit", "cmd"},
			want: with(func(t *Terms) { t.Informative = set(Core, Fork, Exit) }),
			cmd:  []string{"cmd"},
		},
		{
			name: "every event informative",
			args: []string{"-i", "core,signal,hwerr,exit,fork,empty", "cmd"},
			want: with(func(t *Terms) { t.Informative = set(Core, Signal, HWErr, Exit, Fork, Empty) }),
			cmd:  []string{"cmd"},
		},
		{
			name: "every fatalable event",
			args: []string{"-f", "core signal hwerr", "cmd"},
			want: with(func(t *Terms) { t.Fatal = set(Core, Signal, HWErr) }),
			cmd:  []string{"cmd"},
		},
		{
			name: "none informative",
			args: []string{"-i", "none", "cmd"},
			want: with(func(t *Terms) { t.Informative = 0 }),
			cmd:  []string{"cmd"},
		},
		{
			name: "none fatal",
			args: []string{"-f", "none", "cmd"},
			want: with(func(t *Terms) { t.Fatal = 0 }),
			cmd:  []string{"cmd"},
		},
		{
			name: "later -i replaces the earlier one",
			args: []string{"-i", "fork", "-i", "exit", "cmd"},
			want: with(func(t *Terms) { t.Informative = set(Exit) }),
			cmd:  []string{"cmd"},
		},
		{
			name: "lifetime child",
			args: []string{"-l", "child", "cmd"},
			want: with(func(t *Terms) { t.Lifetime = LifeChild }),
			cmd:  []string{"cmd"},
		},
		{
			name: "lifetime none",
			args: []string{"-l", "none", "cmd"},
			want: with(func(t *Terms) { t.Lifetime = LifeNone }),
			cmd:  []string{"cmd"},
		},
		{
			name: "lifetime contract explicitly with restart",
			args: []string{"-l", "contract", "-r", "2", "cmd"},
			want: with(func(t *Terms) { t.Restart, t.Restarts = true, 2 }),
			cmd:  []string{"cmd"},
		},
		{
			name: "every option",
			args: []string{"-o", "noorphan,pgrponly regent, inherit", "cmd"},
			want: with(func(t *Terms) { t.Options = Options{NoOrphan: true, PgrpOnly: true, Regent: true, Inherit: true} }),
			cmd:  []string{"cmd"},
		},
		{
			name: "options none",
			args: []string{"-o", "none", "cmd"},
			want: d,
			cmd:  []string{"cmd"},
		},
		{
			name: "noorphan with lifetime child",
			args: []string{"-o", "noorphan", "-l", "child", "cmd"},
			want: with(func(t *Terms) { t.Options.NoOrphan = true; t.Lifetime = LifeChild }),
			cmd:  []string{"cmd"},
		},
		{
			name: "pgrponly without restart",
			args: []string{"-o", "pgrponly", "-f", "core", "cmd"},
			want: with(func(t *Terms) { t.Options.PgrpOnly = true; t.Fatal = set(Core) }),
			cmd:  []string{"cmd"},
		},
		{
			name: "restart zero is without limit",
			args: []string{"-r", "0", "cmd"},
			want: with(func(t *Terms) { t.Restart, t.Restarts = true, 0 }),
			cmd:  []string{"cmd"},
		},
		{
			name: "restart count with leading zeros is decimal",
			args: []string{"-r", "007", "cmd"},
			want: with(func(t *Terms) { t.Restart, t.Restarts = true, 7 }),
			cmd:  []string{"cmd"},
		},
		{
			name: "restart count 010 is ten, not octal",
			args: []string{"-r010", "cmd"},
			want: with(func(t *Terms) { t.Restart, t.Restarts = true, 10 }),
			cmd:  []string{"cmd"},
		},
		{
			name: "restart with transfer, grouped",
			args: []string{"-tr1", "cmd"},
			want: with(func(t *Terms) { t.Restart, t.Restarts, t.Transfer = true, 1, true }),
			cmd:  []string{"cmd"},
		},
		{
			name: "transfer before restart",
			args: []string{"-t", "-r", "3", "cmd"},
			want: with(func(t *Terms) { t.Restart, t.Restarts, t.Transfer = true, 3, true }),
			cmd:  []string{"cmd"},
		},
		{
			name: "restart with noorphan, regent and inherit",
			args: []string{"-r", "1", "-o", "noorphan,regent,inherit", "cmd"},
			want: with(func(t *Terms) {
				t.Restart, t.Restarts = true, 1
				t.Options = Options{NoOrphan: true, Regent: true, Inherit: true}
			}),
			cmd: []string{"cmd"},
		},
		{
			name: "verbose",
			args: []string{"-v", "cmd"},
			want: with(func(t *Terms) { t.Verbosity = Verbose }),
			cmd:  []string{"cmd"},
		},
		{
			name: "detail",
			args: []string{"-V", "cmd"},
			want: with(func(t *Terms) { t.Verbosity = Detail }),
			cmd:  []string{"cmd"},
		},
		{
			name: "-v after -V keeps the detail",
			args: []string{"-V", "-v", "cmd"},
			want: with(func(t *Terms) { t.Verbosity = Detail }),
			cmd:  []string{"cmd"},
		},
		{
			name: "FMRI and aux",
			args: []string{"-F", "svc:/site/app:default", "-A", "a note, with commas", "cmd"},
			want: with(func(t *Terms) { t.FMRI = "svc:/site/app:default"; t.Aux = "a note, with commas" }),
			cmd:  []string{"cmd"},
		},
		{
			name: "FMRI that looks like an option",
			args: []string{"-F", "-v", "cmd"},
			want: with(func(t *Terms) { t.FMRI = "-v" }),
			cmd:  []string{"cmd"},
		},
		{
			name: "FMRI that is a double dash",
			args: []string{"-F", "--", "cmd"},
			want: with(func(t *Terms) { t.FMRI = "--" }),
			cmd:  []string{"cmd"},
		},
		{
			name: "command's options are passed on",
			args: []string{"-v", "sh", "-c", "exit 3"},
			want: with(func(t *Terms) { t.Verbosity = Verbose }),
			cmd:  []string{"sh", "-c", "exit 3"},
		},
		{
			name: "command after double dash may start with a dash",
			args: []string{"--", "-weird", "-t"},
			want: d,
			cmd:  []string{"-weird", "-t"},
		},
		{
			name: "everything at once",
			args: []string{"-i", "fork,exit", "-f", "core,signal", "-l", "contract", "-o", "noorphan", "-r", "5", "-t", "-V", "-F", "svc", "-A", "aux", "prog", "x"},
			want: Terms{
				Informative: set(Fork, Exit), Fatal: set(Core, Signal), Lifetime: LifeContract,
				Options: Options{NoOrphan: true}, Restart: true, Restarts: 5, Transfer: true,
				Verbosity: Detail, FMRI: "svc", Aux: "aux",
			},
			cmd: []string{"prog", "x"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cmd, warnings, err := Parse(tc.args)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.args, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q) terms =\n  %+v\nwant\n  %+v", tc.args, got, tc.want)
			}
			if !reflect.DeepEqual(cmd, tc.cmd) {
				t.Errorf("Parse(%q) command = %q, want %q", tc.args, cmd, tc.cmd)
			}
			if len(warnings) != 0 {
				t.Errorf("Parse(%q) warnings = %q, want none", tc.args, warnings)
			}
		})
	}
}

func TestParseAdopt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		args      []string
		id        int
		verbosity Verbosity
	}{
		{"plain", []string{"-a", "42"}, 42, Quiet},
		{"attached", []string{"-a7"}, 7, Quiet},
		{"verbose", []string{"-a", "3", "-v"}, 3, Verbose},
		{"detail first", []string{"-V", "-a", "12"}, 12, Detail},
		{"leading zero", []string{"-a", "09"}, 9, Quiet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cmd, _, err := Parse(tc.args)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.args, err)
			}
			if got.Adopt != tc.id {
				t.Errorf("Adopt = %d, want %d", got.Adopt, tc.id)
			}
			if got.Verbosity != tc.verbosity {
				t.Errorf("Verbosity = %d, want %d", got.Verbosity, tc.verbosity)
			}
			if len(cmd) != 0 {
				t.Errorf("command = %q, want none", cmd)
			}
		})
	}
}

func TestParseListWarnings(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		want     Terms
		warnings int
	}{
		{
			name:     "double comma",
			args:     []string{"-i", "core,,exit", "cmd"},
			want:     Terms{Informative: set(Core, Exit), Fatal: set(HWErr)},
			warnings: 1,
		},
		{
			name:     "leading and trailing comma",
			args:     []string{"-i", ",fork,", "cmd"},
			want:     Terms{Informative: set(Fork), Fatal: set(HWErr)},
			warnings: 2,
		},
		{
			name:     "comma surrounded by spaces only",
			args:     []string{"-i", "core, ,exit", "cmd"},
			want:     Terms{Informative: set(Core, Exit), Fatal: set(HWErr)},
			warnings: 1,
		},
		{
			name:     "repeated event",
			args:     []string{"-i", "core,core", "cmd"},
			want:     Terms{Informative: set(Core), Fatal: set(HWErr)},
			warnings: 1,
		},
		{
			name:     "repeated event separated by space",
			args:     []string{"-f", "signal core signal", "cmd"},
			want:     Terms{Informative: set(Core), Fatal: set(Signal, Core)},
			warnings: 1,
		},
		{
			name:     "three times the same",
			args:     []string{"-i", "exit exit,exit", "cmd"},
			want:     Terms{Informative: set(Exit), Fatal: set(HWErr)},
			warnings: 2,
		},
		{
			name:     "empty and repeated together",
			args:     []string{"-i", "fork,,fork", "cmd"},
			want:     Terms{Informative: set(Fork), Fatal: set(HWErr)},
			warnings: 2,
		},
		{
			name:     "empty list is the empty set with a warning",
			args:     []string{"-i", "", "cmd"},
			want:     Terms{Informative: 0, Fatal: set(HWErr)},
			warnings: 1,
		},
		{
			name:     "none repeated stays alone",
			args:     []string{"-f", "none,none", "cmd"},
			want:     Terms{Informative: set(Core), Fatal: 0},
			warnings: 1,
		},
		{
			name:     "none with an empty element",
			args:     []string{"-i", "none,", "cmd"},
			want:     Terms{Informative: 0, Fatal: set(HWErr)},
			warnings: 1,
		},
		{
			name:     "repeated option",
			args:     []string{"-o", "regent,regent", "cmd"},
			want:     Terms{Informative: set(Core), Fatal: set(HWErr), Options: Options{Regent: true}},
			warnings: 1,
		},
		{
			name:     "empty option element",
			args:     []string{"-o", "inherit,,regent", "cmd"},
			want:     Terms{Informative: set(Core), Fatal: set(HWErr), Options: Options{Regent: true, Inherit: true}},
			warnings: 1,
		},
		{
			name:     "warnings add up across lists",
			args:     []string{"-i", "core,core", "-f", ",hwerr", "-o", "noorphan,", "cmd"},
			want:     Terms{Informative: set(Core), Fatal: set(HWErr), Options: Options{NoOrphan: true}},
			warnings: 3,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, cmd, warnings, err := Parse(tc.args)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.args, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse(%q) terms = %+v, want %+v", tc.args, got, tc.want)
			}
			if !reflect.DeepEqual(cmd, []string{"cmd"}) {
				t.Errorf("command = %q, want [cmd]", cmd)
			}
			if len(warnings) != tc.warnings {
				t.Errorf("Parse(%q) gave %d warnings %q, want %d", tc.args, len(warnings), warnings, tc.warnings)
			}
			for _, w := range warnings {
				if w == "" || strings.Contains(w, "\n") {
					t.Errorf("warning %q: want one non-empty line", w)
				}
			}
		})
	}
}

func TestEventSetNames(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   EventSet
		names []string
		str   string
	}{
		{"empty", 0, []string{"none"}, "none"},
		{"one", set(HWErr), []string{"hwerr"}, "hwerr"},
		{"page order regardless of bits", set(Empty, Core, Fork), []string{"core", "fork", "empty"}, "core,fork,empty"},
		{"fatalable", Fatalable, []string{"core", "signal", "hwerr"}, "core,signal,hwerr"},
		{"all", set(Core, Signal, HWErr, Exit, Fork, Empty), []string{"core", "signal", "hwerr", "exit", "fork", "empty"}, "core,signal,hwerr,exit,fork,empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.set.Names(); !reflect.DeepEqual(got, tc.names) {
				t.Errorf("Names() = %q, want %q", got, tc.names)
			}
			if got := tc.set.String(); got != tc.str {
				t.Errorf("String() = %q, want %q", got, tc.str)
			}
		})
	}
}

func TestEventSetRoundTrip(t *testing.T) {
	// What Names prints, -i reads back as the same set.
	for _, tc := range []struct {
		name string
		set  EventSet
	}{
		{"none", 0},
		{"core", set(Core)},
		{"mixed", set(Signal, Exit, Empty)},
		{"all", set(Core, Signal, HWErr, Exit, Fork, Empty)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, _, w, err := Parse([]string{"-i", tc.set.String(), "cmd"})
			if err != nil || len(w) != 0 {
				t.Fatalf("Parse(-i %q): err %v, warnings %q", tc.set.String(), err, w)
			}
			if got.Informative != tc.set {
				t.Errorf("-i %q read back as %v", tc.set.String(), got.Informative)
			}
		})
	}
}

func TestEventString(t *testing.T) {
	for _, tc := range []struct {
		ev   Event
		want string
	}{
		{Core, "core"}, {Signal, "signal"}, {HWErr, "hwerr"}, {Exit, "exit"}, {Fork, "fork"}, {Empty, "empty"},
		{Event(1 << 20), "event(1048576)"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.ev.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestOptionsNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
		want []string
	}{
		{"none", Options{}, []string{"none"}},
		{"noorphan", Options{NoOrphan: true}, []string{"noorphan"}},
		{"two", Options{Inherit: true, PgrpOnly: true}, []string{"pgrponly", "inherit"}},
		{"all", Options{NoOrphan: true, PgrpOnly: true, Regent: true, Inherit: true}, []string{"noorphan", "pgrponly", "regent", "inherit"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.o.Names(); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Names() = %q, want %q", got, tc.want)
			}
			// What Names prints, -o reads back.
			got, _, w, err := Parse([]string{"-o", strings.Join(tc.o.Names(), ","), "cmd"})
			if err != nil || len(w) != 0 {
				t.Fatalf("Parse(-o %q): err %v, warnings %q", tc.want, err, w)
			}
			if got.Options != tc.o {
				t.Errorf("-o %q read back as %+v, want %+v", tc.want, got.Options, tc.o)
			}
		})
	}
}

func TestLifetimeString(t *testing.T) {
	for _, tc := range []struct {
		l    Lifetime
		want string
	}{
		{LifeContract, "contract"}, {LifeChild, "child"}, {LifeNone, "none"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.l.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
			got, _, _, err := Parse([]string{"-l", tc.want, "cmd"})
			if err != nil || got.Lifetime != tc.l {
				t.Errorf("-l %s: lifetime %v, err %v", tc.want, got.Lifetime, err)
			}
		})
	}
}

func TestParseAdoptKeepsRules(t *testing.T) {
	// Section 2: "-t without -r" is a usage error; the -a form's usage line
	// is "ctrun -a ctid [-v | -V]", so -t there breaks the rule too.
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"-t without -r", []string{"-a", "5", "-t"}},
		{"-t without -r, before -a", []string{"-t", "-a", "5"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, err := Parse(tc.args)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Errorf("Parse(%q) error = %v, want *UsageError", tc.args, err)
			}
		})
	}
}

// An unknown event name is refused with the names that would do, as the
// -l and -o errors give theirs.
func TestUnknownEventListsTheNames(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"-f", "cor", "cmd"}, []string{`"cor"`, "-f", "core", "signal", "hwerr", "none"}},
		{[]string{"-i", "core,forks", "cmd"}, []string{`"forks"`, "-i", "core", "signal", "hwerr", "exit", "fork", "empty", "none"}},
	} {
		_, _, _, err := Parse(tc.args)
		if err == nil {
			t.Fatalf("Parse(%q) accepted", tc.args)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Parse(%q) error %q does not name %s", tc.args, err, w)
			}
		}
	}
}

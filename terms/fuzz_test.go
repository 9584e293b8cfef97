package terms

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse feeds ctrun's whole command line (words separated by NUL):
// no panic, errors and warnings one line each, an error a *UsageError,
// and terms that parse are ones ctrun can hold (a command, or -a alone).
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"-i\x00fork,exit\x00-f\x00core\x00sh\x00-c\x00true",
		"-r\x003\x00-t\x00-f\x00core,signal\x00sleep\x001",
		"-l\x00child\x00-o\x00noorphan,,regent\x00true",
		"-o\x00pgrponly\x00-r0\x00true",
		"-a\x0042\x00-V\x00-E\x00/tmp/x",
		"-i\x00none,core\x00x",
		"-E\x00\x00x",
		"-i\x00 fork , fork \x00x",
		"-r\x0099999999999999999999\x00x",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		tm, argv, warnings, err := Parse(args)
		for _, w := range warnings {
			oneLine(t, "warning", w)
		}
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q): error %T, want *UsageError", args, err)
			}
			oneLine(t, "error", err.Error())
			return
		}
		if tm.Adopt == 0 && len(argv) == 0 {
			t.Fatalf("Parse(%q): no command and no -a, yet no error", args)
		}
		if tm.Restart && tm.Lifetime != LifeContract || tm.Fatal&^Fatalable != 0 {
			t.Fatalf("Parse(%q): terms %+v break the page's rules", args, tm)
		}
	})
}

// FuzzLists feeds the event and option lists, as typed after -i, -f and -o
// and as read back from a record (FromRecord): whatever parses names its
// set again, and the names read back give the same set.
func FuzzLists(f *testing.F) {
	for _, seed := range []string{"core", "fork,exit", "core, signal ,hwerr", "none", "none,core", ",,", "", "noorphan,inherit", "regent regent", "empty", "\xff,core"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, list string) {
		for _, letter := range []byte{'i', 'f'} {
			set, warnings, err := parseEvents(list, letter)
			for _, w := range warnings {
				oneLine(t, "warning", w)
			}
			if err != nil {
				oneLine(t, "error", err.Error())
				continue
			}
			if letter == 'f' && set&^Fatalable != 0 {
				t.Fatalf("-f %q gives %v, not all fatalable", list, set)
			}
			again, _, err := parseEvents(set.String(), letter)
			if err != nil || again != set {
				t.Fatalf("-%c %q: %v read back as %v (%v)", letter, list, set, again, err)
			}
		}
		o, warnings, err := parseOptions(list)
		for _, w := range warnings {
			oneLine(t, "warning", w)
		}
		if err != nil {
			oneLine(t, "error", err.Error())
		} else if again, _, err := parseOptions(strings.Join(o.Names(), ",")); err != nil || again != o {
			t.Fatalf("-o %q: %+v read back as %+v (%v)", list, o, again, err)
		}
		// A record's lists, as a hostile or damaged record may have them.
		fields := strings.Split(list, ",")
		tm, err := FromRecord(fields, fields, list, fields)
		if err != nil {
			oneLine(t, "error", err.Error())
			return
		}
		if tm.Fatal&^Fatalable != 0 {
			t.Fatalf("FromRecord(%q): fatal %v", list, tm.Fatal)
		}
	})
}

func oneLine(t *testing.T, what, s string) {
	t.Helper()
	if s == "" || strings.ContainsAny(s, "\n\r") {
		t.Fatalf("%s %q is not one line", what, s)
	}
}

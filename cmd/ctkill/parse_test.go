package main

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want request // compared when err is empty
		err  string
	}{
		{[]string{"7"}, request{mode: modeAll, sig: unix.SIGTERM, id: 7}, ""},
		{[]string{"-s", "SEGV", "-r", "7"}, request{mode: modeRandom, sig: unix.SIGSEGV, id: 7}, ""},
		{[]string{"-sKILL", "-p", "12", "7"}, request{mode: modePid, sig: unix.SIGKILL, pid: 12, id: 7}, ""},
		{[]string{"--signal", "SEGV", "--random", "7"}, request{mode: modeRandom, sig: unix.SIGSEGV, id: 7}, ""},
		{[]string{"--signal=segv", "--pid=12", "7"}, request{mode: modePid, sig: unix.SIGSEGV, pid: 12, id: 7}, ""},
		{[]string{"--list", "--numeric", "7"}, request{mode: modeList, sig: unix.SIGTERM, numeric: true, id: 7}, ""},
		{[]string{"--", "7"}, request{mode: modeAll, sig: unix.SIGTERM, id: 7}, ""},
		{[]string{"--bogus", "7"}, request{}, "unknown option --bogus"},
		{[]string{"--random=1", "7"}, request{}, "option --random takes no argument"},
		{[]string{"-a", "--random", "7"}, request{}, "-a and -r exclude each other"},
		{[]string{"-r"}, request{}, "no contract id given"},
		{[]string{"-S", "7"}, request{mode: modeStop, sig: unix.SIGTERM, id: 7}, ""},
		{[]string{"--stop", "--signal=int", "7"}, request{mode: modeStop, sig: unix.SIGINT, id: 7}, ""},
		{[]string{"-sQUIT", "-S", "7"}, request{mode: modeStop, sig: unix.SIGQUIT, id: 7}, ""},
		{[]string{"-S", "-s", "1", "7"}, request{mode: modeStop, sig: unix.SIGHUP, id: 7}, ""},
		{[]string{"-S", "-s", "KILL", "7"}, request{}, "-S: a stop is asked for by TERM, INT, HUP or QUIT, not SIGKILL"},
		{[]string{"-S", "-s", "0", "7"}, request{}, "-S: a stop is asked for by TERM, INT, HUP or QUIT, not signal 0"},
		{[]string{"-S", "-a", "7"}, request{}, "-S and -a exclude each other"},
		{[]string{"-r", "--stop", "7"}, request{}, "-r and -S exclude each other"},
		{[]string{"-S", "-p", "3", "7"}, request{}, "-S and -p exclude each other"},
		{[]string{"-S", "-n", "7"}, request{}, "-n goes with -l only"},
		{[]string{"--stop=now", "7"}, request{}, "option --stop takes no argument"},
		{[]string{"-S"}, request{}, "no contract id given"},
	} {
		got, err := parse(tc.args)
		switch {
		case tc.err != "" && (err == nil || err.Error() != tc.err):
			t.Errorf("parse(%q) error %v, want %q", tc.args, err, tc.err)
		case tc.err == "" && err != nil:
			t.Errorf("parse(%q): %v", tc.args, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("parse(%q) = %+v, want %+v", tc.args, got, tc.want)
		}
	}
}

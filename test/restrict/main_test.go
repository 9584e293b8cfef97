package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// The test binary is also restrict itself (when called by that name) and
// the probe the live tests run under it (probeArg); see live_test.go.
func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == toolName {
		main()
		return
	}
	if len(os.Args) > 1 && os.Args[1] == probeArg {
		os.Exit(runProbe(os.Args[2:]))
	}
	os.Exit(m.Run())
}

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want config
		err  string // a part of the error; "" for none
	}{
		{args: []string{"--", "true"}, want: config{uid: -1, gid: -1, argv: []string{"true"}}},
		{args: []string{"sh", "-c", "x"}, want: config{uid: -1, gid: -1, argv: []string{"sh", "-c", "x"}}},
		{args: []string{"-netns", "-nons", "-rocgroup", "--", "ctrun", "-v", "--", "x"},
			want: config{netns: true, nons: true, rocgroup: true, uid: -1, gid: -1, argv: []string{"ctrun", "-v", "--", "x"}}},
		{args: []string{"-pid1", "-cgroup2", "-nouserns", "-user", "65534", "--", "id"},
			want: config{pid1: true, cgroup2: true, nouserns: true, uid: 65534, gid: 65534, argv: []string{"id"}}},
		{args: []string{"-user", "1000:100", "id"}, want: config{uid: 1000, gid: 100, argv: []string{"id"}}},
		{args: []string{"-join", "42", "-nons", "--", "ctstat"}, want: config{join: 42, nons: true, uid: -1, gid: -1, argv: []string{"ctstat"}}},
		{args: []string{"-" + pid1ChildFlag, "-pid1", "--", "x"}, want: config{pid1: true, pid1Child: true, uid: -1, gid: -1, argv: []string{"x"}}},
		{args: []string{"-netns"}, err: "no command"},
		{args: []string{"-netns", "--"}, err: "no command"},
		{args: []string{"-bogus", "--", "x"}, err: "-bogus"},
		{args: []string{"-user", "nobody", "--", "x"}, err: "uid"},
		{args: []string{"-user", "1:-2", "--", "x"}, err: "gid"},
		{args: []string{"-user", "-1", "--", "x"}, err: "uid"},
		{args: []string{"-join", "-3", "--", "x"}, err: "process id"},
		{args: []string{"-join", "1", "-netns", "--", "x"}, err: "does not combine"},
		{args: []string{"-join", "1", "-pid1", "--", "x"}, err: "does not combine"},
		{args: []string{"-" + pid1ChildFlag, "--", "x"}, err: "restrict's own"},
	} {
		got, err := parseArgs(tc.args)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want one about %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tc.args, got, tc.want)
		}
	}
	if _, err := parseArgs([]string{"-h"}); err != errHelp {
		t.Errorf("-h: %v, want the help", err)
	}
}

// -nons wins over -nouserns: it refuses user namespaces too.
func TestConfigFilter(t *testing.T) {
	for _, tc := range []struct {
		c    config
		want string
	}{
		{config{}, ""},
		{config{nons: true}, "nons"},
		{config{nouserns: true}, "nouserns"},
		{config{nons: true, nouserns: true}, "nons"},
	} {
		p, ok := tc.c.filter()
		got := ""
		switch {
		case ok && reflect.DeepEqual(p, namespacePolicy()):
			got = "nons"
		case ok && reflect.DeepEqual(p, userNamespacePolicy()):
			got = "nouserns"
		case ok:
			got = "?"
		}
		if got != tc.want {
			t.Errorf("%+v: filter %q, want %q", tc.c, got, tc.want)
		}
	}
}

// A death by signal N passes on as 128+N, as from a shell or docker run.
func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		ws   syscall.WaitStatus
		want int
	}{
		{0, 0},
		{7 << 8, 7},
		{255 << 8, 255},
		{syscall.WaitStatus(syscall.SIGKILL), 137},
		{syscall.WaitStatus(syscall.SIGTERM), 143},
		{syscall.WaitStatus(syscall.SIGSEGV) | 0x80, 139}, // with a core
	} {
		if got := exitCode(tc.ws); got != tc.want {
			t.Errorf("wait status %#x: %d, want %d", uint32(tc.ws), got, tc.want)
		}
	}
}

package version

import (
	"bytes"
	"errors"
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	rev := func(r, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: r}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"installed at a tag", debug.BuildInfo{Main: debug.Module{Version: "v1.2.0"}}, "v1.2.0"},
		{"work tree, clean", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev("0db11860d6e1c6c2a4e0b5f1f1f3a9c3e9d0a1b2", "false")}, "0db1186"},
		{"work tree, modified", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: rev("0db11860d6e1c6c2a4e0b5f1f1f3a9c3e9d0a1b2", "true")}, "0db1186-dirty"},
		{"tarball", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, Unknown},
		{"no main version at all", debug.BuildInfo{}, Unknown},
	} {
		if got := fromBuildInfo(&tc.bi); got != tc.want {
			t.Errorf("%s: fromBuildInfo = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestStringPrefersTheBuildsVersion(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	Version = "v9.9.9-3-gabcdef0"
	if got := String(); got != Version {
		t.Errorf("String() = %q, want the -X version %q", got, Version)
	}
	if got, want := Line("ctkill"), "ctkill (ctrun for Linux) v9.9.9-3-gabcdef0"; got != want {
		t.Errorf("Line = %q, want %q", got, want)
	}
}

func TestAnswer(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	Version = "v1.2.0"
	for what, want := range map[string]string{"help": "usage: x\n", "version": "x (ctrun for Linux) v1.2.0\n"} {
		var out, errb bytes.Buffer
		if !Answer("x", what, "usage: x\n", &out, &errb) || out.String() != want || errb.Len() != 0 {
			t.Errorf("--%s: stdout %q, stderr %q; want %q", what, out.String(), errb.String(), want)
		}
	}
	var errb bytes.Buffer
	if Answer("x", "help", "usage: x\n", failingWriter{}, &errb) || errb.String() != "x: --help: bad file descriptor\n" {
		t.Errorf("--help to a closed stdout: stderr %q", errb.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("bad file descriptor") }

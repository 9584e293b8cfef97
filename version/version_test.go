package version

import (
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

package mechanism

import (
	"strings"
	"testing"
)

func TestSummary(t *testing.T) {
	for _, tc := range []struct {
		name  string
		m     Mechanism
		exact bool
		has   []string
	}{
		{"bare host", Mechanism{Holding: Namespace, Cgroup: CgroupV1, Events: Connector, Senders: BPF}, true,
			[]string{"held by a new PID namespace", "a cgroup (v1)", "the process connector", "BPF", "every guarantee exact"}},
		{"container", Mechanism{Holding: Container, Cgroup: NoCgroup, Events: Init, Senders: Seccomp, Limits: []string{"one", "two"}}, false,
			[]string{"container's PID 1", "no cgroup", "events from the init", "seccomp", ": one; two"}},
		{"subreaper", Mechanism{Holding: Subreaper, Cgroup: NoCgroup, Events: Init, Senders: None, Limits: []string{"x"}}, false,
			[]string{"subreaper", "senders from nowhere"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.m.Exact() != tc.exact {
				t.Errorf("Exact() = %v, want %v", tc.m.Exact(), tc.exact)
			}
			s := tc.m.Summary()
			if strings.Contains(s, "\n") {
				t.Errorf("Summary is more than one line: %q", s)
			}
			for _, want := range tc.has {
				if !strings.Contains(s, want) {
					t.Errorf("Summary %q lacks %q", s, want)
				}
			}
			short := tc.m.Short()
			if !strings.HasPrefix(short, tc.m.Holding+", cgroup "+tc.m.Cgroup) || strings.HasSuffix(short, "(exact)") != tc.exact {
				t.Errorf("Short() = %q", short)
			}
		})
	}
}

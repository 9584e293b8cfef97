package test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clean makes the test fail if, once it is over, anything of ctrun's is
// left: a process, a cgroup, a state file, a mount, or a change to the
// host's mount propagation. Call it first, so it runs after the test's own
// clean-ups. Contracts that outlive their holder clean up after
// themselves asynchronously, so the checks wait a little.
func clean(t *testing.T, stateDirs ...string) {
	t.Helper()
	before := map[string]bool{}
	for _, l := range leftovers(stateDirs) {
		before[l] = true
	}
	t.Cleanup(func() {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			var left []string
			for _, l := range leftovers(stateDirs) {
				if !before[l] {
					left = append(left, l)
				}
			}
			if len(left) == 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("left behind:\n  %s", strings.Join(left, "\n  "))
				killStrays()
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

func leftovers(stateDirs []string) []string {
	var left []string
	left = append(left, strayProcesses()...)
	left = append(left, strayCgroups()...)
	for _, d := range append(stateDirs, "/run/ctrun", "/tmp/ctrun-0", userStateDir) {
		if des, err := os.ReadDir(d); err == nil && len(des) > 0 {
			for _, de := range des {
				left = append(left, "state: "+filepath.Join(d, de.Name()))
			}
		}
	}
	if m := mountTable(); m != mountsAtStart {
		left = append(left, "the host's mount table changed:\n"+m)
	}
	return left
}

// strayProcesses lists processes of the binaries under test (holders,
// inits) and their probes.
func strayProcesses() []string {
	var out []string
	des, _ := os.ReadDir("/proc")
	for _, de := range des {
		if de.Name()[0] < '0' || de.Name()[0] > '9' {
			continue
		}
		b, err := os.ReadFile("/proc/" + de.Name() + "/cmdline")
		if err != nil || len(b) == 0 {
			continue
		}
		cmd := strings.ReplaceAll(string(b), "\x00", " ")
		if strings.Contains(cmd, binDir) || strings.Contains(cmd, "contract-init") {
			if st, err := os.ReadFile("/proc/" + de.Name() + "/stat"); err == nil && strings.Contains(string(st), ") Z ") {
				continue // a zombie waiting for its parent: not running
			}
			out = append(out, "process "+de.Name()+": "+cmd)
		}
	}
	return out
}

func killStrays() {
	for _, p := range strayProcesses() {
		var pid int
		if _, err := fmtSscan(p, &pid); err == nil {
			syscallKill(pid)
		}
	}
}

// strayCgroups lists cgroup directories a contract made (ctrun-*).
func strayCgroups() []string {
	var out []string
	_ = filepath.WalkDir("/sys/fs/cgroup", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if strings.HasPrefix(d.Name(), "ctrun-") {
			out = append(out, "cgroup "+p)
			return filepath.SkipDir
		}
		if strings.Count(p, "/") > 8 {
			return filepath.SkipDir
		}
		return nil
	})
	return out
}

// mountTable is the host's mount table with propagation flags, without
// what changes by itself.
func mountTable() string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	return string(b)
}

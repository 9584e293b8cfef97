package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
)

// machine is what a run may leave behind, read before it starts, so that
// only what it added counts.
type machine struct {
	bin    string // the binaries' directory
	marker string // a command line only the run's commands have
	state  string // the state directory of the user the run is made as
	before map[string]bool
}

func newMachine(bin, marker, state string) *machine {
	m := &machine{bin: bin, marker: marker, state: state, before: map[string]bool{}}
	for _, l := range m.all() {
		m.before[l] = true
	}
	return m
}

// left lists what the run left: processes, cgroups, mounts, state files.
func (m *machine) left() []string {
	var out []string
	for _, l := range m.all() {
		if !m.before[l] {
			out = append(out, l)
		}
	}
	return out
}

func (m *machine) all() []string {
	var out []string
	for _, p := range m.strays(readProcs()) {
		out = append(out, "process "+strconv.Itoa(p.pid)+" ("+p.comm+"): "+p.cmdline)
	}
	for _, c := range contractCgroups() {
		out = append(out, "cgroup "+c)
	}
	out = append(out, m.mounts()...)
	des, _ := os.ReadDir(m.state)
	for _, de := range des {
		out = append(out, "state "+filepath.Join(m.state, de.Name()))
	}
	sort.Strings(out)
	return out
}

// strays are the running processes of contracts and holders: holders and
// anything run from the binaries' directory, contract inits (ours, and
// libcontainer's before it execs ours), and the run's commands.
func (m *machine) strays(t procTable) []proc {
	self := ancestors(t, os.Getpid())
	var out []proc
	for pid, p := range t {
		if p.zombie || self[pid] {
			continue
		}
		if p.comm == initName || strings.HasPrefix(p.comm, "runc:[") ||
			strings.Contains(p.cmdline, m.bin+"/") || strings.Contains(p.cmdline, m.marker) {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

// ancestors are pid and its ancestors: the soak itself and what runs it
// (go run, make), whose command lines may name the binaries' directory.
func ancestors(t procTable, pid int) map[int]bool {
	out := map[int]bool{}
	for pid > 1 && !out[pid] {
		out[pid] = true
		pid = t[pid].ppid
	}
	return out
}

// killStrays ends what strays lists (after the verdict: the machine is
// left as it was found).
func (m *machine) killStrays() {
	for _, p := range m.strays(readProcs()) {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
}

// contractCgroups lists the contracts' cgroup directories (ctrun-*) in
// every hierarchy: those below the caller's own cgroup, where contracts
// make theirs, and any other.
func contractCgroups() []string {
	var out []string
	_ = filepath.WalkDir("/sys/fs/cgroup", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if strings.HasPrefix(d.Name(), "ctrun-") {
			out = append(out, p)
			return filepath.SkipDir
		}
		if strings.Count(p, "/") > 10 {
			return filepath.SkipDir
		}
		return nil
	})
	return out
}

// mounts lists the host's mounts of contracts: anything mounted in the
// state directory, or naming ctrun.
func (m *machine) mounts() []string {
	b, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 5 {
			continue
		}
		if strings.HasPrefix(f[4], m.state+"/") || strings.Contains(l, "ctrun") {
			out = append(out, "mount "+f[4]+" ("+f[3]+")")
		}
	}
	return out
}

// removeLeft removes what the run left in the state directory and the
// cgroup file system (after the verdict).
func (m *machine) removeLeft() {
	for _, c := range contractCgroups() {
		if !m.before["cgroup "+c] {
			removeTree(c)
		}
	}
	des, _ := os.ReadDir(m.state)
	for _, de := range des {
		p := filepath.Join(m.state, de.Name())
		if !m.before["state "+p] {
			_ = syscall.Unmount(p, syscall.MNT_DETACH)
			_ = os.RemoveAll(p)
		}
	}
}

// removeTree removes an empty cgroup directory tree, deepest first.
func removeTree(dir string) {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = syscall.Rmdir(dirs[i])
	}
}

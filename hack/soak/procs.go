package main

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"time"
)

// proc is one process as /proc shows it.
type proc struct {
	pid, ppid int
	comm      string
	zombie    bool
	start     uint64 // clock ticks after boot: a pid taken anew differs
	cmdline   string // arguments joined by spaces
}

// procTable is one reading of /proc.
type procTable map[int]proc

// readProcs reads every process's stat and command line.
func readProcs() procTable {
	t := readStats()
	for pid, p := range t {
		if c, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline"); err == nil {
			p.cmdline = strings.TrimSpace(string(bytes.ReplaceAll(c, []byte{0}, []byte{' '})))
			t[pid] = p
		}
	}
	return t
}

// parseStat reads /proc/PID/stat: the name is between the first "(" and
// the last ")", as it may hold either.
func parseStat(pid int, s string) (proc, bool) {
	i, j := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if i < 0 || j < i {
		return proc{}, false
	}
	f := strings.Fields(s[j+1:])
	if len(f) < 20 {
		return proc{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	start, _ := strconv.ParseUint(f[19], 10, 64)
	return proc{pid: pid, ppid: ppid, comm: s[i+1 : j], zombie: f[0] == "Z" || f[0] == "X", start: start}, true
}

// initName is a contract init's name (registry.InitName).
const initName = "ctrun-init"

// contracts are the live contracts of state directory state in t: the
// running contract inits that name it (CTRUN_STATE in their environment)
// and have a running child. An init has one only once its holder told it
// to go, which it does after writing the record, and until the contract
// is empty, before the record goes: such a contract must be listed. The
// value is the init's start time.
func (t procTable) contracts(state string) map[int]uint64 {
	live := map[int]bool{}
	for _, p := range t {
		if !p.zombie {
			live[p.ppid] = true
		}
	}
	out := map[int]uint64{}
	for pid, p := range t {
		if p.comm != initName || p.zombie || !live[pid] {
			continue
		}
		if stateOf(pid) == state {
			out[pid] = p.start
		}
	}
	return out
}

// stateOf is the state directory an init names (CTRUN_STATE).
func stateOf(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil {
		return ""
	}
	for _, kv := range bytes.Split(b, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("CTRUN_STATE=")); ok {
			return string(v)
		}
	}
	return ""
}

// running says whether pid runs (no zombie) in t.
func (t procTable) running(pid int) bool {
	p, ok := t[pid]
	return ok && !p.zombie
}

// seenTable is every process seen running during a while: its name by
// pid.
type seenTable map[int]string

// procWatch reads /proc over and over until stopped.
type procWatch struct {
	stopc chan struct{}
	done  chan seenTable
}

// watch starts noting every process seen running, starting with t.
func watch(t procTable) *procWatch {
	w := &procWatch{stopc: make(chan struct{}), done: make(chan seenTable, 1)}
	seen := seenTable{}
	add := func(t procTable) {
		for pid, p := range t {
			if !p.zombie {
				seen[pid] = p.comm
			}
		}
	}
	add(t)
	go func() {
		for {
			select {
			case <-w.stopc:
				add(readProcs())
				w.done <- seen
				return
			case <-time.After(100 * time.Millisecond):
				add(readStats())
			}
		}
	}()
	return w
}

// stop ends the watch and returns what it saw.
func (w *procWatch) stop() seenTable {
	close(w.stopc)
	return <-w.done
}

// readStats is readProcs without the command lines.
func readStats() procTable {
	t := procTable{}
	des, _ := os.ReadDir("/proc")
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil {
			continue
		}
		if b, err := os.ReadFile("/proc/" + de.Name() + "/stat"); err == nil {
			if p, ok := parseStat(pid, string(b)); ok {
				t[pid] = p
			}
		}
	}
	return t
}

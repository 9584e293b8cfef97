package main

import (
	"bytes"
	"errors"
	"os"
	"sort"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ctrun/ctrun/registry"
)

// member is one process of a contract.
type member struct {
	Pid   int    `json:"pid"`   // host pid (as this /proc shows it)
	NSpid int    `json:"nspid"` // pid inside the contract
	Comm  string `json:"comm"`  // command name
}

// findMembers fills in the members of every live contract with a single
// pass over /proc, whatever the number of contracts: a process belongs to
// contract id when it is in the PID namespace of the contract's init
// (whose host pid is the id) and is not that init. Processes of
// sub-contracts live in namespaces of their own and so are not members.
func findMembers(cs []contract) {
	byNS := map[string]*contract{}
	for i := range cs {
		if c := &cs[i]; c.ns != "" && c.State != registry.Dead {
			byNS[c.ns] = c
		}
	}
	if len(byNS) == 0 {
		return
	}
	for _, pid := range pids() {
		ns, err := pidNS(pid)
		if err != nil {
			continue // gone, or not ours to see
		}
		c, ok := byNS[ns]
		if !ok || pid == c.ID {
			continue
		}
		st, err := readStatus(pid)
		if err != nil {
			continue
		}
		c.members = append(c.members, member{Pid: pid, NSpid: st.nspid, Comm: st.name})
	}
	for _, c := range byNS {
		sort.Slice(c.members, func(i, j int) bool { return c.members[i].Pid < c.members[j].Pid })
	}
}

// pids lists the processes in /proc, unsorted (sorting is left to each
// contract's few members).
func pids() []int {
	f, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	out := make([]int, 0, len(names))
	for _, n := range names {
		if n == "" || n[0] < '1' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(n); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// pidNS names the PID namespace of process pid ("pid:[4026531836]").
func pidNS(pid int) (string, error) {
	var buf [64]byte
	n, err := unix.Readlink("/proc/"+strconv.Itoa(pid)+"/ns/pid", buf[:])
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

var errStatus = errors.New("unexpected /proc/PID/status")

// procStatus is what ctstat reads of /proc/PID/status.
type procStatus struct {
	name string
	// nspid is the process's pid in its own (innermost) PID namespace.
	nspid int
}

// readStatus reads the Name line and the NSpid line of /proc/PID/status,
// with bare system calls (os.ReadFile costs twice as many); only a status
// whose NSpid line is not in its first page (a very long Groups line) is
// read whole.
func readStatus(pid int) (procStatus, error) {
	path := "/proc/" + strconv.Itoa(pid) + "/status"
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return procStatus{}, err
	}
	var buf [4096]byte
	n, err := unix.Read(fd, buf[:])
	unix.Close(fd)
	if err != nil {
		return procStatus{}, err
	}
	st, err := parseStatus(buf[:n])
	if err != nil && n == len(buf) {
		b, rerr := os.ReadFile(path)
		if rerr != nil {
			return procStatus{}, rerr
		}
		return parseStatus(b)
	}
	return st, err
}

func parseStatus(b []byte) (procStatus, error) {
	var st procStatus
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("Name:")); ok {
			st.name = string(bytes.TrimPrefix(v, []byte{'\t'}))
		} else if v, ok := bytes.CutPrefix(line, []byte("NSpid:")); ok {
			f := bytes.Fields(v)
			if len(f) == 0 {
				return procStatus{}, errStatus
			}
			nspid, err := strconv.Atoi(string(f[len(f)-1]))
			if err != nil {
				return procStatus{}, errStatus
			}
			st.nspid = nspid
			return st, nil // NSpid comes after Name
		}
	}
	return procStatus{}, errStatus
}

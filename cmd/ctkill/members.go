package main

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// member is one process of a contract, other than its init.
type member struct {
	Host int    // pid on the host (what kill(2) and ctrun's events use)
	NS   int    // pid inside the contract (what the command itself sees)
	Comm string // name, as in /proc/PID/comm
}

func (m member) String() string { return fmt.Sprintf("%d %d %s", m.Host, m.NS, m.Comm) }

// pidNS is the pid namespace a process is in, as the kernel names it
// ("pid:[4026532…]"): a contract is a pid namespace, so a process is a
// member exactly when it is in the namespace of the contract's init.
func pidNS(pid int) (string, error) {
	return os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
}

// members lists the members of contract id (whose init is host pid id),
// by host pid. Members of sub-contracts live in namespaces of their own
// and are not listed: they belong to the sub-contract, as on Solaris.
func members(id int) ([]member, error) {
	ns, err := pidNS(id)
	if err != nil {
		return nil, initError(id, err)
	}
	des, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	var out []member
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil || pid <= 0 || pid == id {
			continue
		}
		if m, ok := memberIn(ns, pid); ok {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Host < out[j].Host })
	return out, nil
}

// memberOf says whether host pid is a member of contract id (never its
// init), and describes it.
func memberOf(id, pid int) (member, bool, error) {
	ns, err := pidNS(id)
	if err != nil {
		return member{}, false, initError(id, err)
	}
	if pid == id {
		return member{}, false, nil
	}
	m, ok := memberIn(ns, pid)
	return m, ok, nil
}

// memberIn describes pid if it runs in pid namespace ns. A process that
// is gone, or a zombie (it can no longer be signalled), is not a member.
func memberIn(ns string, pid int) (member, bool) {
	if l, err := pidNS(pid); err != nil || l != ns {
		return member{}, false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return member{}, false
	}
	m := member{Host: pid}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "State:":
			if f[1] == "Z" || f[1] == "X" {
				return member{}, false
			}
		case "NSpid:":
			// The last field is the pid in the innermost namespace: the
			// contract's own.
			m.NS, _ = strconv.Atoi(f[len(f)-1])
		}
	}
	if c, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); err == nil {
		m.Comm = strings.TrimSuffix(string(c), "\n")
	}
	return m, m.NS > 0
}

// initError says why the contract's init could not be looked at.
func initError(id int, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("contract %d has ended", id)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("contract %d belongs to another user", id)
	}
	return fmt.Errorf("contract %d: %v", id, err)
}

// send signals one member, by a pidfd so that a pid reused after the
// member's death is never hit: the member is checked again once the pidfd
// pins it (a pidfd of a process that has died since only gives ESRCH).
func send(id int, m member, sig unix.Signal) error {
	fd, err := unix.PidfdOpen(m.Host, 0)
	if errors.Is(err, unix.ENOSYS) {
		// Before Linux 5.3: the check just made is all there is.
		return unix.Kill(m.Host, sig)
	}
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if _, ok, err := memberOf(id, m.Host); err != nil {
		return err
	} else if !ok {
		return unix.ESRCH
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}

package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ctrun/ctrun/registry"
)

// fixture is a registry directory of synthetic but real contracts: each
// record's init is a live process that is PID 1 of a PID namespace of its
// own, with one member (a sleep), as a contract's init is; the holder is
// this process, answering "stat" on fake watch sockets.
type fixture struct {
	dir   registry.Dir
	inits []*exec.Cmd
	lns   []net.Listener
}

// newFixture makes n contracts in a fresh directory, held by holders
// holders (each answering for its share of the contracts).
func newFixture(tb testing.TB, n, holders int) *fixture {
	tb.Helper()
	f := &fixture{dir: registry.Dir(tb.TempDir())}
	tb.Cleanup(f.close)
	socks := make([]string, holders)
	ids := make([][]int, holders)
	for h := range socks {
		socks[h] = filepath.Join(string(f.dir), "holder-"+strconv.Itoa(h)+".sock")
	}
	for i := range n {
		init := startInit(tb)
		f.inits = append(f.inits, init)
		pid := init.Process.Pid
		r := &registry.Record{
			ID: pid, Holder: registry.Self(), Init: registry.ProcessOf(pid),
			Terms: registry.Terms{Informative: []string{"core"}, Fatal: []string{"hwerr"}, Lifetime: "contract", Options: []string{"none"}},
			FMRI:  "svc:/bench/" + strconv.Itoa(i), UID: os.Getuid(),
			Argv: []string{"ctrun", "sh", "-c", "sleep 600 & wait"}, Started: registry.Now(), Run: 1,
			Command: []string{"sh", "-c", "sleep 600 & wait"}, Watch: socks[i%holders],
		}
		if err := f.dir.Write(r); err != nil {
			tb.Fatal(err)
		}
		ids[i%holders] = append(ids[i%holders], pid)
	}
	for h := range socks {
		ln, err := net.Listen("unix", socks[h])
		if err != nil {
			tb.Fatal(err)
		}
		f.lns = append(f.lns, ln)
		go serveStat(ln, ids[h])
	}
	// Wait for every init's member to be there.
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range f.inits {
		for len(childrenOf(c.Process.Pid)) == 0 {
			if time.Now().After(deadline) {
				tb.Fatal("fixture inits did not start their members")
			}
			time.Sleep(time.Millisecond)
		}
	}
	return f
}

// startInit starts "sh -c 'sleep 600 & wait'" as PID 1 of a new PID
// namespace (in a new user namespace too when not root).
func startInit(tb testing.TB) *exec.Cmd {
	tb.Helper()
	cmd := exec.Command("/bin/sh", "-c", "sleep 600 & wait")
	attr := &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() != 0 {
		attr.Cloneflags |= syscall.CLONE_NEWUSER
		attr.UidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getuid(), Size: 1}}
		attr.GidMappings = []syscall.SysProcIDMap{{ContainerID: 0, HostID: os.Getgid(), Size: 1}}
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		tb.Skipf("cannot start a process in a PID namespace of its own: %v", err)
	}
	return cmd
}

func childrenOf(pid int) []string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	return strings.Fields(string(b))
}

// serveStat answers the holder's "stat" query as a holder does, with a
// queue length (3) for each of its contracts.
func serveStat(ln net.Listener, ids []int) {
	q := map[string]int{}
	for _, id := range ids {
		q[strconv.Itoa(id)] = 3
	}
	reply, _ := json.Marshal(map[string]any{"queued": q})
	reply = append(reply, '\n')
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
				return
			}
			c.Write(reply)
		}()
	}
}

func (f *fixture) close() {
	for _, ln := range f.lns {
		ln.Close()
	}
	for _, c := range f.inits {
		c.Process.Kill()
		c.Wait()
	}
	f.lns, f.inits = nil, nil
}

// BenchmarkList measures one listing (registry read, states, holder
// queries, and with -v/-j the /proc scan, printed to io.Discard) of 100
// and 1000 live contracts, with one holder per 100 contracts and with one
// holder per contract (each ctrun holds one contract). ns/contract is the
// cost per contract: it must not grow with the number of contracts.
func BenchmarkList(b *testing.B) {
	for _, n := range []int{100, 1000} {
		for _, perHolder := range []int{100, 1} {
			f := newFixture(b, n, n/perHolder)
			for _, mode := range []struct {
				name string
				o    options
			}{{"plain", options{}}, {"v", options{verbose: true}}, {"j", options{json: true}}} {
				b.Run(fmt.Sprintf("contracts=%d/holders=%d/%s", n, n/perHolder, mode.name), func(b *testing.B) {
					w := bufio.NewWriter(io.Discard)
					unanswered := 0
					for b.Loop() {
						l := collect([]registry.Dir{f.dir}, mode.o)
						if len(l.contracts) != n || len(l.problems) != 0 {
							b.Fatalf("listed %d contracts of %d, problems %v", len(l.contracts), n, l.problems)
						}
						for _, c := range l.contracts {
							if mode.o.details() && len(c.members) != 1 {
								b.Fatalf("contract %d: members %v, want its sleep", c.ID, c.members)
							}
							if c.events != 3 {
								unanswered++ // the holder did not answer within queryTimeout
							}
						}
						if err := write(w, l, mode.o); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/contract")
					b.ReportMetric(float64(unanswered)/float64(b.N), "unanswered/op")
				})
			}
			f.close()
		}
	}
}

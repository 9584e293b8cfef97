package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ctrun/ctrun/testhook"
)

// A holder SIGKILLed at any instant of making, restarting or tearing down
// a contract leaves a listed contract or nothing; once the contracts' last
// processes are gone, one ctstat collects everything left (cgroups in
// every hierarchy, libcontainer state, rootfs directories, records,
// sockets, libcontainer inits waiting for a dead holder). The delays sweep
// a start (a few milliseconds on an idle machine, more under load), the
// command's run, its crash, the teardown and the restart.
func TestKilledHolderSweep(t *testing.T) {
	delays := []time.Duration{0, 1, 2, 3, 5, 7, 10, 14, 20, 30, 45, 65, 90, 130, 200, 300}
	asRootAndUser(t, func(t *testing.T, user bool) {
		env, state := killedEnv(t, user)
		before := snapshot(state)
		const marker = "31.7"
		for _, d := range delays {
			cmd, _, _ := start(t, call{user: user, env: env, args: []string{"-r", "3", "-f", "core", "sh", "-c", "sleep " + marker + " & sleep 0.03; kill -SEGV $$"}})
			time.Sleep(d * time.Millisecond)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		endAndCollect(t, user, env, marker)
		checkCollected(t, before, state)
	})
}

// killPoint is one named point of a holder's work at which the test
// build kills the holder or the contract's init (see package testhook).
type killPoint struct {
	point string
	init  bool // kill the init, not the holder
	adopt bool // the point is in an adopter (ctrun -a) of an orphaned contract
	// listed is what must be listed once the holder is dead: an
	// orphaned contract, or nothing.
	listed bool
}

// The same at each named point, and with the contract's init killed
// there instead: a listed contract or nothing, and nothing once collected.
func TestKilledAtNamedPoints(t *testing.T) {
	points := []killPoint{
		{point: testhook.Claimed},
		{point: testhook.LibcontainerState},
		{point: testhook.InitWaiting},
		{point: testhook.InitWaiting, init: true},
		{point: testhook.InitMade},
		{point: testhook.InitMade, init: true},
		{point: testhook.Started, listed: true},
		{point: testhook.Started, init: true},
		{point: testhook.Teardown},
		// Reached removing the first run's instance, which waits a
		// tenth of a second into the second run (holder/finish.go):
		// that run is then an orphaned contract.
		{point: testhook.Destroying, listed: true},
		{point: testhook.HandOver, listed: true},
		{point: testhook.HandOver, init: true},
		{point: testhook.Adopted, adopt: true, listed: true},
		{point: testhook.Adopted, adopt: true, init: true},
	}
	bin := hookedCtrun(t)
	asRootAndUser(t, func(t *testing.T, user bool) {
		for _, p := range points {
			name := p.point
			if p.init {
				name += "/init"
			}
			t.Run(name, func(t *testing.T) {
				env, state := killedEnv(t, user)
				before := snapshot(state)
				dir := sharedDir(t)
				const marker = "31.9"
				// The first run crashes (fatal: a restart, a teardown,
				// a hand-over with -t); the second runs on.
				script := `if [ -e "$1/ran" ]; then exec sleep ` + marker + `; fi; touch "$1/ran"; sleep ` + marker + ` & sleep 0.2; kill -SEGV $$`
				args := []string{"-r", "1", "-t", "-f", "core", "sh", "-c", script, "sh", dir}
				hookEnv := append(env, testhook.KillEnv+"="+p.target())
				c := call{user: user, env: hookEnv, args: args}
				if p.adopt {
					id := orphan(t, user, env, dir, marker)
					c.args = []string{"-a", strconv.Itoa(id)}
				}
				cmd, stderr := startBin(t, c, bin)
				if p.init {
					// The holder lives on: once the point is passed,
					// stop it as a user would.
					eventually(t, 20*time.Second, "the init killed at "+p.point, func() bool {
						return strings.Contains(stderr.String(), "testhook: "+p.point+": init")
					})
					_ = cmd.Process.Signal(syscall.SIGTERM)
					waitExit(t, cmd, 20*time.Second)
				} else {
					waitExit(t, cmd, 20*time.Second)
					if ws := cmd.ProcessState.Sys().(syscall.WaitStatus); !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
						t.Fatalf("the holder was not killed at %s: %v\nstderr: %s", p.point, cmd.ProcessState, stderr)
					}
					checkListed(t, user, env, p)
				}
				endAndCollect(t, user, env, marker)
				checkCollected(t, before, state)
			})
		}
	})
}

func (p killPoint) target() string {
	if p.init {
		return p.point + testhook.InitTarget
	}
	return p.point
}

// startBin starts c with bin in place of ctrun; it is stopped at the end
// of the test if still running.
func startBin(t *testing.T, c call, bin string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := c.command(t, context.Background())
	cmd.Path, cmd.Args[0] = bin, bin
	stderr := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = &syncBuffer{}, stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	stopAtCleanup(t, cmd)
	return cmd, stderr
}

// hookedCtrun builds, once, a ctrun with the test hooks.
func hookedCtrun(t *testing.T) string {
	t.Helper()
	bin, err := buildHooked()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

var buildHooked = sync.OnceValues(func() (string, error) {
	out := filepath.Join(binDir, "ctrun-hooks")
	build := exec.Command("go", "build", "-trimpath", "-tags", "netgo,osusergo,ctrun_testhooks",
		"-ldflags", "-s -w -extldflags -static", "-o", out, "../cmd/ctrun")
	build.Env = append(os.Environ(), "CGO_ENABLED=1")
	if b, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build ctrun with the test hooks: %v\n%s", err, b)
	}
	return out, nil
})

// killedEnv is the environment of a user's ctrun and its companions
// (statEnv), and the state directory they share.
func killedEnv(t *testing.T, user bool) ([]string, string) {
	t.Helper()
	if !user {
		requireRoot(t)
		return nil, "/run/ctrun"
	}
	xdg := userRuntimeDir(t)
	return []string{"XDG_RUNTIME_DIR=" + xdg}, filepath.Join(xdg, "ctrun")
}

// orphan starts a contract running sleep marker and lets it go (lifetime
// none), for an adopter; it returns its id.
func orphan(t *testing.T, user bool, env []string, dir, marker string) int {
	t.Helper()
	r := run(t, call{user: user, env: env, args: []string{"-l", "none", "sh", "-c", `echo $CTRUN_CTID > "$1/id"; exec sleep ` + marker + ` >/dev/null 2>&1`, "sh", dir}})
	if r.code != 0 {
		t.Fatalf("ctrun -l none: exit %d: %s", r.code, r.stderr)
	}
	return readPidFile(t, filepath.Join(dir, "id"))
}

// checkListed checks what a holder killed at p left listed: an orphaned
// contract, or nothing (once a starting init has seen its holder go).
func checkListed(t *testing.T, user bool, env []string, p killPoint) {
	t.Helper()
	var es map[int]statEntry
	eventually(t, 10*time.Second, "the contracts listed after the holder's death", func() bool {
		es = statAll(t, user, env)
		if !p.listed {
			return len(es) == 0
		}
		return len(es) == 1
	})
	for id, e := range es {
		if e.State != "orphaned" {
			t.Errorf("contract %d is %s, want orphaned: its holder is dead", id, e.State)
		}
	}
}

// endAndCollect ends what the test's contracts left running as a user
// would, by ctkill on every listed contract, waits for their processes and
// every holder and init to be gone, and runs ctstat once. A command
// process that outlives the kills was in no listed contract.
func endAndCollect(t *testing.T, user bool, env []string, marker string) {
	t.Helper()
	for id := range statAll(t, user, env) {
		runKill(t, user, env, "-s", "KILL", strconv.Itoa(id))
	}
	eventually(t, 10*time.Second, "the contracts' processes to end", func() bool {
		return len(commandProcesses(marker)) == 0 && len(runningInits()) == 0
	})
	if r := runStat(t, user, env, "-a"); r.code != 0 {
		t.Fatalf("ctstat -a: exit %d: %s", r.code, r.stderr)
	}
}

// checkCollected checks that nothing is left but what was there before:
// processes that the collection ended may take a moment to go.
func checkCollected(t *testing.T, before map[string]bool, state string) {
	t.Helper()
	var left []string
	deadline := time.Now().Add(3 * time.Second)
	for {
		left = left[:0]
		for _, l := range leftovers([]string{state}) {
			if !before[l] {
				left = append(left, l)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("left behind after one ctstat:\n  %s", strings.Join(left, "\n  "))
	killStrays()
}

// snapshot is what is left over before a test (another's, or nothing).
func snapshot(state string) map[string]bool {
	before := map[string]bool{}
	for _, l := range leftovers([]string{state}) {
		before[l] = true
	}
	return before
}

// commandProcesses lists the pids of the test's commands: sleep marker.
func commandProcesses(marker string) []int {
	return processesWhere(func(cmd string) bool { return cmd == "sleep "+marker })
}

// runningInits lists the contract inits of the binaries under test (not
// libcontainer's inits waiting for a dead holder: collecting ends those).
func runningInits() []int {
	return processesWhere(func(cmd string) bool {
		return strings.Contains(cmd, binDir) && strings.Contains(cmd, "contract-init")
	})
}

// processesWhere lists the running processes (no zombies) whose command
// line, its arguments joined by spaces, satisfies match.
func processesWhere(match func(string) bool) []int {
	var out []int
	des, _ := os.ReadDir("/proc")
	for _, de := range des {
		pid, err := strconv.Atoi(de.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + de.Name() + "/cmdline")
		if err != nil || len(b) == 0 {
			continue
		}
		if match(strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))) && alive(pid) {
			out = append(out, pid)
		}
	}
	return out
}

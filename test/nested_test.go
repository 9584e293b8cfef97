package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// statEntry is the part of a ctstat -j line the nesting tests look at.
type statEntry struct {
	ID        int    `json:"id"`
	State     string `json:"state"`
	Parent    int    `json:"parent"`
	Inherited []int  `json:"inherited"`
	Members   []struct {
		Pid int `json:"pid"`
	} `json:"members"`
}

// nestedEnv is the environment of a test whose commands run ctrun again
// (the binaries under test first on PATH); uid 65534 gets a runtime
// directory of its own.
func nestedEnv(t *testing.T, user bool) []string {
	env := []string{"PATH=" + binDir + ":/usr/bin:/bin"}
	if user {
		env = append(env, "XDG_RUNTIME_DIR="+userRuntimeDir(t))
	}
	return env
}

// idsIn reads the contract ids a test's commands wrote to path, one per run.
func idsIn(path string) []int {
	b, _ := os.ReadFile(path)
	var out []int
	for _, w := range strings.Fields(string(b)) {
		n, _ := strconv.Atoi(w)
		out = append(out, n)
	}
	return out
}

// statAll lists the caller's contracts with ctstat -j.
func statAll(t *testing.T, user bool, env []string) map[int]statEntry {
	t.Helper()
	r := runTool(t, ctstatBin, user, env, "-j")
	out := map[int]statEntry{}
	for _, l := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		if l == "" {
			continue
		}
		var e statEntry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("ctstat -j: %q: %v", l, err)
		}
		out[e.ID] = e
	}
	return out
}

// runTool runs a companion command to the end.
func runTool(t *testing.T, bin string, user bool, env []string, args ...string) result {
	t.Helper()
	w := startTool(t, bin, user, env, args...)
	out := w.wait(t, 20*time.Second)
	return result{stdout: out, code: w.cmd.ProcessState.ExitCode()}
}

// The classic restarter: a regent contract restarted with -t hands the
// sub-contracts it inherited to the new contract, still running; without
// -t they are orphaned and keep running. A sub-contract is never killed by
// a fatal event of the contract it was made from, although its PID
// namespace lies below that contract's (the init stays for it).
func TestRegentHandsOverSubcontracts(t *testing.T) {
	for _, transfer := range []bool{true, false} {
		name := "with -t"
		if !transfer {
			name = "without -t"
		}
		t.Run(name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				clean(t)
				dir := sharedDir(t)
				env := nestedEnv(t, user)
				// The daemon starts a helper in its own contract once, then
				// crashes; run two waits for the test.
				daemon := `echo $CTRUN_CTID >> ` + dir + `/runs
					if [ ! -e ` + dir + `/helper ]; then
						ctrun -l none -o inherit sh -c 'exec >/dev/null 2>&1; echo $$ > ` + dir + `/helper; echo $CTRUN_CTID > ` + dir + `/helper.id; exec sleep 60'
						while [ ! -s ` + dir + `/helper.id ]; do sleep 0.02; done
						` + probe + ` segv
					fi
					while [ ! -e ` + dir + `/stop ]; do sleep 0.05; done`
				args := []string{"-v", "-r", "1", "-o", "regent", "-f", "core", "sh", "-c", daemon}
				if transfer {
					args = append([]string{"-t"}, args...)
				}
				cmd, _, stderr := start(t, call{args: args, user: user, env: env})
				t.Cleanup(func() {
					// The helper outlives the test's ctrun: end it.
					if b, err := os.ReadFile(dir + "/helper.id"); err == nil {
						runTool(t, ctkillBin, user, env, "-s", "KILL", strings.TrimSpace(string(b)))
					}
				})
				helperNS := readPidFile(t, dir+"/helper")
				helperID := readPidFile(t, dir+"/helper.id")
				var second int
				eventually(t, 15*time.Second, "the restart", func() bool {
					if runs := idsIn(dir + "/runs"); len(runs) >= 2 {
						second = runs[1]
					}
					return second != 0
				})
				// The helper survived the daemon's crash with its pid.
				var cs map[int]statEntry
				eventually(t, 5*time.Second, "the helper's state", func() bool {
					cs = statAll(t, user, env)
					h, ok := cs[helperID]
					want := "inherited"
					if !transfer {
						want = "orphaned"
					}
					return ok && h.State == want
				})
				h := cs[helperID]
				if len(h.Members) != 1 || !alive(h.Members[0].Pid) {
					t.Fatalf("the helper's member is gone: %+v\n%s", h, stderr)
				}
				_ = helperNS
				if transfer {
					if h.Parent != second || !contains(cs[second].Inherited, helperID) {
						t.Fatalf("helper %d: parent %d, new contract %d inherits %v; want it handed over\n%s", helperID, h.Parent, second, cs[second].Inherited, stderr)
					}
				} else if contains(cs[second].Inherited, helperID) {
					t.Fatalf("without -t the new contract inherited %d", helperID)
				}
				os.WriteFile(dir+"/stop", nil, 0o644)
				if code := waitExit(t, cmd, 15*time.Second); code != 0 {
					t.Fatalf("ctrun exit %d\n%s", code, stderr)
				}
				// The regent's holder is gone: the helper is orphaned and
				// still runs.
				if cs := statAll(t, user, env); cs[helperID].State != "orphaned" || !alive(cs[helperID].Members[0].Pid) {
					t.Fatalf("after the regent ended: %+v", cs[helperID])
				}
			})
		})
	}
}

// A sub-contract handed over with -t lives in the namespace of the
// contract that made it, not of the one it was handed to: the next fatal
// event, which kills the new contract whole, spares it, and it is handed
// on again.
func TestHandedOverSurvivesNextFatal(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		env := nestedEnv(t, user)
		// Run one starts the helper and crashes; run two crashes; run
		// three waits for the test.
		daemon := `echo $CTRUN_CTID >> ` + dir + `/runs; n=$(wc -l < ` + dir + `/runs)
			if [ $n -eq 1 ]; then
				ctrun -l none -o inherit sh -c 'exec >/dev/null 2>&1; echo $CTRUN_CTID > ` + dir + `/helper.id; exec sleep 60'
				while [ ! -s ` + dir + `/helper.id ]; do sleep 0.02; done
			fi
			[ $n -le 2 ] && ` + probe + ` segv
			while [ ! -e ` + dir + `/stop ]; do sleep 0.05; done`
		cmd, _, stderr := start(t, call{args: []string{"-v", "-t", "-r", "2", "-o", "regent", "-f", "core", "sh", "-c", daemon}, user: user, env: env})
		t.Cleanup(func() {
			if b, err := os.ReadFile(dir + "/helper.id"); err == nil {
				runTool(t, ctkillBin, user, env, "-s", "KILL", strings.TrimSpace(string(b)))
			}
		})
		helperID := readPidFile(t, dir+"/helper.id")
		var third int
		eventually(t, 15*time.Second, "the second restart", func() bool {
			if runs := idsIn(dir + "/runs"); len(runs) >= 3 {
				third = runs[2]
			}
			return third != 0
		})
		var cs map[int]statEntry
		eventually(t, 5*time.Second, "the helper handed to the third run", func() bool {
			cs = statAll(t, user, env)
			h, ok := cs[helperID]
			return ok && h.State == "inherited" && h.Parent == third
		})
		if h := cs[helperID]; len(h.Members) != 1 || !alive(h.Members[0].Pid) {
			t.Fatalf("the helper's member is gone: %+v\n%s", h, stderr)
		}
		os.WriteFile(dir+"/stop", nil, 0o644)
		if code := waitExit(t, cmd, 15*time.Second); code != 0 {
			t.Fatalf("ctrun exit %d\n%s", code, stderr)
		}
	})
}

// Three levels, a restart at each, holders SIGKILLed: a regent restarter
// (level 1) runs a second regent restarter (level 2), which runs a third
// restarter (level 3, inherit). Level 3 fails first and restarts in its own
// holder. Then level 2 fails: its fatal event kills level 3's holder (one
// of its members), level 3 passes to level 2 (inherit), and level 2
// restarts and hands it over (-t). Then level 1 fails the same way with
// level 2. Nothing below level 1 is killed, every state ctstat shows is
// true, and once everything ends nothing is left.
func TestThreeLevels(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		env := nestedEnv(t, user)
		// Each level is a script of its own (no quoting across levels);
		// what outlives the test's ctrun does not hold its output.
		write := func(name, script string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			return p
		}
		// Level 3: the first run fails; the second stays.
		level3 := write("level3", `exec >/dev/null 2>&1; echo $CTRUN_CTID >> `+dir+`/l3
			[ "$(wc -l < `+dir+`/l3)" = 1 ] && `+probe+` segv
			exec sleep 60`)
		// Level 2: the first run starts level 3, waits for its restart,
		// and fails; the second stays.
		level2 := write("level2", `exec >/dev/null 2>&1; echo $CTRUN_CTID >> `+dir+`/l2
			if [ ! -e `+dir+`/l3 ]; then
				ctrun -r 1 -o inherit -f core sh `+level3+` &
				while [ "$(wc -l < `+dir+`/l3 2>/dev/null)" != 2 ]; do sleep 0.02; done
				sleep 0.3
				`+probe+` segv
			fi
			exec sleep 60`)
		// Level 1: the first run starts level 2, waits for its restart,
		// and fails; the second stays until told to stop.
		level1 := write("level1", `echo $CTRUN_CTID >> `+dir+`/l1
			if [ ! -e `+dir+`/l2 ]; then
				ctrun -r 1 -t -o inherit,regent -f core sh `+level2+` &
				while [ "$(wc -l < `+dir+`/l2 2>/dev/null)" != 2 ]; do sleep 0.02; done
				sleep 0.3
				`+probe+` segv
			fi
			while [ ! -e `+dir+`/stop ]; do sleep 0.05; done`)
		cmd, _, stderr := start(t, call{args: []string{"-r", "1", "-t", "-o", "regent", "-f", "core", "sh", level1}, user: user, env: env})
		ids := func(f string) []int { return idsIn(filepath.Join(dir, f)) }
		var l1, l2, l3s []int
		var l3 int
		var cs map[int]statEntry
		eventually(t, 20*time.Second, "the three restarts and the inheritance", func() bool {
			l1, l2, l3s = ids("l1"), ids("l2"), ids("l3")
			if len(l1) < 2 || len(l2) < 2 || len(l3s) < 2 {
				return false
			}
			l3 = l3s[1]
			cs = statAll(t, user, env)
			return cs[l2[1]].State == "inherited" && cs[l3].State == "inherited"
		})
		t.Cleanup(func() {
			for _, id := range []int{l3, l2[1]} {
				runTool(t, ctkillBin, user, env, "-s", "KILL", strconv.Itoa(id))
			}
		})
		if len(l1) != 2 || len(l2) != 2 || len(l3s) != 2 {
			t.Fatalf("level 1 ran %d times, level 2 %d times, level 3 %d times; want 2 each\n%s", len(l1), len(l2), len(l3s), stderr)
		}
		// Level 3 went from level 2's first contract to its second (-t);
		// level 2's second contract went to level 1's second (inherit, -t).
		if cs[l3].Parent != l2[1] || cs[l2[1]].Parent != l1[1] {
			t.Fatalf("level 3 %+v (want parent %d), level 2 %+v (want parent %d)", cs[l3], l2[1], cs[l2[1]], l1[1])
		}
		if !contains(cs[l1[1]].Inherited, l2[1]) || !contains(cs[l2[1]].Inherited, l3) {
			t.Fatalf("inherited lists: level 1 %v, level 2 %v", cs[l1[1]].Inherited, cs[l2[1]].Inherited)
		}
		for _, id := range []int{l3s[0], l2[0], l1[0]} {
			if _, ok := cs[id]; ok {
				t.Fatalf("the failed contract %d is still listed: %+v", id, cs[id])
			}
		}
		for _, id := range []int{l2[1], l3} {
			if len(cs[id].Members) == 0 || !alive(cs[id].Members[0].Pid) {
				t.Fatalf("contract %d lost its members: %+v", id, cs[id])
			}
		}
		// Now the top holder dies by SIGKILL: level 1 is orphaned and the
		// levels below stay as they are (a regent's init still holds them).
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Process.Wait()
		t.Cleanup(func() { runTool(t, ctkillBin, user, env, "-s", "KILL", strconv.Itoa(l1[1])) })
		eventually(t, 5*time.Second, "level 1 orphaned", func() bool {
			cs = statAll(t, user, env)
			return cs[l1[1]].State == "orphaned"
		})
		if cs[l2[1]].State != "inherited" || cs[l3].State != "inherited" {
			t.Fatalf("after the top holder's death: level 2 %+v, level 3 %+v", cs[l2[1]], cs[l3])
		}
	})
}

func contains(ids []int, id int) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// A contract that ends while it has sub-contracts keeps its init for them
// (a husk): it is no longer listed. Should that init be killed, which
// takes the sub-contracts with it, the next listing collects everything
// both left (records, endpoints, cgroups).
func TestHuskKilledLeavesNothing(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		env := nestedEnv(t, user)
		script := `ctrun -l none sleep 60; echo $CTRUN_CTID > ` + dir + `/outer; sleep 0.3; kill -SEGV $$`
		r := run(t, call{args: []string{"-f", "core", "sh", "-c", script}, user: user, env: env})
		if r.code != 123 {
			t.Fatalf("outer ctrun: exit %d, want 123: %s", r.code, r.stderr)
		}
		outer := readPidFile(t, dir+"/outer")
		if _, err := os.Stat("/proc/" + strconv.Itoa(outer)); err != nil {
			t.Fatalf("the outer contract's init %d is gone; it should stay for the sub-contract", outer)
		}
		listed := statAll(t, user, env)
		if _, ok := listed[outer]; ok {
			t.Fatalf("the husk %d is listed: %+v", outer, listed)
		}
		if len(listed) != 1 {
			t.Fatalf("want the sub-contract alone listed, got %+v", listed)
		}
		if err := syscall.Kill(outer, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, "the killed init to be gone", func() bool {
			_, err := os.Stat("/proc/" + strconv.Itoa(outer))
			return err != nil
		})
		// Listing collects the dead contracts' remains.
		if left := statAll(t, user, env); len(left) != 0 {
			t.Fatalf("contracts listed after the husk was killed: %+v", left)
		}
	})
}

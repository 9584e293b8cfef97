package test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Hostile state (issue 11): whatever lies in the state directory —
// truncated, oversized, binary, symlinked, a FIFO, a directory, someone
// else's file, a record naming another user's process or paths outside the
// directory — each of ctstat, ctkill and ctwatch gives one line about it,
// returns, and never follows it, acts on what it names or deletes anything
// outside the directory. The good contract beside them is still listed.
func TestHostileState(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, stateDir := statEnv(t, user)
		dir := sharedDir(t)
		_, good := statContract(t, user, env, dir, "good", "exec sleep 60")
		owner, other := 0, nobody // the directory's owner, and someone else
		if user {
			owner, other = nobody, 0
		}
		// A process of the other user's, which a record names as its
		// contract's init: never to be signalled.
		victim := hostileProcess(t, other)
		outside := filepath.Join(dir, "outside")
		cgroup := filepath.Join(outside, "ctrun-victim")
		if err := os.MkdirAll(cgroup, 0o755); err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(outside, "target.json")
		targetBytes := hostileRecord(t, stateDir, good, deadPid(t), nil)
		if err := os.WriteFile(target, targetBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		statChown(t, stateDir, target)

		full := hostileRecord(t, stateDir, good, 999999001, nil)
		dead := deadPid(t)
		for _, tc := range []struct {
			name string
			id   int
			make func(path string) error
			warn string // in the one warning; "" for none (a dead record, collected)
		}{
			{"truncated", 999999001, func(p string) error { return os.WriteFile(p, full[:len(full)/2], 0o600) }, "is damaged"},
			{"oversized (100 MiB)", 999999002, func(p string) error {
				if err := os.WriteFile(p, nil, 0o600); err != nil {
					return err
				}
				return os.Truncate(p, 100<<20)
			}, "is damaged: 104857600 bytes"},
			{"binary", 999999003, func(p string) error { return os.WriteFile(p, randomBytes(t, 4096), 0o600) }, "is damaged"},
			{"symlink out of the directory", 999999004, func(p string) error { return os.Symlink(target, p) }, "is a symlink"},
			{"FIFO", 999999005, func(p string) error { return syscall.Mkfifo(p, 0o600) }, "is not a regular file"},
			{"directory", 999999006, func(p string) error { return os.Mkdir(p, 0o700) }, "is not a regular file"},
			{"someone else's file", 999999007, func(p string) error {
				if err := os.WriteFile(p, hostileRecord(t, stateDir, good, 999999007, nil), 0o644); err != nil {
					return err
				}
				return os.Lchown(p, other, other)
			}, "belongs to uid"},
			{"another user's process", victim, func(p string) error {
				return os.WriteFile(p, hostileRecord(t, stateDir, good, victim, nil), 0o600)
			}, "a process of uid"},
			{"dead, naming cgroups outside the state directory", dead, func(p string) error {
				return os.WriteFile(p, hostileRecord(t, stateDir, good, dead, map[string]string{
					"pids": cgroup, "memory": "/sys/fs/cgroup/../.." + cgroup,
				}), 0o600)
			}, ""},
		} {
			p := filepath.Join(stateDir, itoa(tc.id)+".json")
			if err := tc.make(p); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if tc.name != "someone else's file" {
				statChown(t, stateDir, p)
			}
			t.Cleanup(func() { os.RemoveAll(p) })
		}
		// The FIFO a reader would block on, were it opened for reading
		// as a file: nobody ever writes to it.
		wantWarnings := []string{"999999001.json is damaged", "999999002.json is damaged: 104857600 bytes", "999999003.json is damaged",
			"999999004.json is a symlink", "999999005.json is not a regular file", "999999006.json is not a regular file",
			"999999007.json belongs to uid " + itoa(other), itoa(victim) + ".json names as the contract's init pid " + itoa(victim) + ", a process of uid " + itoa(other)}

		for _, args := range [][]string{{"-a"}, {"-a", "-v"}, {"-j"}} {
			r := runBin(t, ctstatBin, user, env, args...)
			if r.code != 1 {
				t.Fatalf("ctstat %q: exit %d, want 1\n%s%s", args, r.code, r.stdout, r.stderr)
			}
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(lines) != len(wantWarnings) {
				t.Errorf("ctstat %q: %d lines on stderr, want one warning per hostile record (%d):\n%s", args, len(lines), len(wantWarnings), r.stderr)
			}
			for _, w := range wantWarnings {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("ctstat %q: no warning %q:\n%s", args, w, r.stderr)
				}
			}
			for _, l := range lines {
				if !strings.HasPrefix(l, "ctstat: warning: ") {
					t.Errorf("ctstat %q: %q is not a warning", args, l)
				}
			}
			if !strings.Contains(r.stdout, itoa(good)) {
				t.Errorf("ctstat %q does not list the good contract %d:\n%s", args, good, r.stdout)
			}
			for _, bad := range []int{999999001, 999999002, 999999003, 999999004, 999999005, 999999006, 999999007, victim} {
				if strings.Contains(r.stdout, itoa(bad)) {
					t.Errorf("ctstat %q lists hostile record %d:\n%s", args, bad, r.stdout)
				}
			}
		}
		// Asked about one of them, ctkill and ctwatch say what is wrong with
		// that one, in one line, and exit 1: nothing is signalled.
		for i, id := range []int{999999001, 999999002, 999999003, 999999004, 999999005, 999999006, 999999007, victim} {
			for _, c := range []struct {
				bin  string
				args []string
			}{
				{ctkillBin, []string{"-s", "KILL", itoa(id)}},
				{ctkillBin, []string{"-l", itoa(id)}},
				{ctwatchBin, []string{itoa(id)}},
			} {
				r := runBin(t, c.bin, user, env, c.args...)
				name := filepath.Base(c.bin)
				if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, wantWarnings[i]) {
					t.Errorf("%s %q: exit %d, stderr %q; want exit 1 and one line saying %q", name, c.args, r.code, r.stderr, wantWarnings[i])
				}
			}
		}
		if !alive(victim) {
			t.Errorf("the other user's process %d, named by a record, was killed", victim)
		}
		if b, err := os.ReadFile(target); err != nil || !bytes.Equal(b, targetBytes) {
			t.Errorf("the symlink's target, outside the state directory, changed: %v", err)
		}
		if _, err := os.Stat(cgroup); err != nil {
			t.Errorf("the directory outside the state directory a dead record named as its cgroup: %v", err)
		}
		if _, err := os.Lstat(filepath.Join(stateDir, itoa(dead)+".json")); err == nil {
			t.Errorf("the dead record was not collected")
		}
		if st, err := os.Stat(stateDir); err != nil || int(st.Sys().(*syscall.Stat_t).Uid) != owner {
			t.Errorf("state directory %s: %v", stateDir, err)
		}
	})
}

// hostileRecord is the good contract's record rewritten to name contract
// id, its init the process id with that process's start time (0 when it
// is not running), and the given cgroups (none: the good contract's are
// never to be touched).
func hostileRecord(t *testing.T, stateDir string, good, id int, cgroups map[string]string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, itoa(good)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["id"] = id
	init := rec["init"].(map[string]any)
	init["pid"] = id
	init["start"] = startTime(id)
	delete(rec, "cgroups")
	if cgroups != nil {
		rec["cgroups"] = cgroups
	}
	out, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// startTime is field 22 of /proc/PID/stat, 0 when pid does not run.
func startTime(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	return uint64(atoi(fields[19]))
}

// hostileProcess starts a sleep as uid, killed at the end of the test.
func hostileProcess(t *testing.T, uid int) int {
	t.Helper()
	cmd := exec.Command("sleep", "60")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid), Groups: []uint32{}}}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd.Process.Pid
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// runBin runs bin (a companion, or a wrapper of ctrun) to the end, as
// root or as uid 65534 with env; it must return within 20 s (a FIFO must
// not block it) and must not panic.
func runBin(t *testing.T, bin string, user bool, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := call{args: args, user: user, env: env}
	cmd := c.command(t, ctx)
	cmd.Path, cmd.Args[0] = bin, bin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not return (hostile state)\nstderr: %s", filepath.Base(bin), args, r.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %s %q: %v", filepath.Base(bin), args, err)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Fatalf("%s %q panicked:\n%s", filepath.Base(bin), args, r.stderr)
	}
	return r
}

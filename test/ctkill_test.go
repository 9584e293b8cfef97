package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runKill runs ctkill to the end, as root or as uid 65534 (with env, and
// an XDG_RUNTIME_DIR of its own when env has none: as a shell would; where
// the user's contracts are found does not depend on it).
func runKill(t *testing.T, user bool, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, ctkillBin, args...)
	cmd.Env = append([]string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C"}, env...)
	cmd.Dir = binDir
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	if user {
		requireRoot(t)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}
		if !hasEnv(env, "XDG_RUNTIME_DIR") {
			cmd.Env = append(cmd.Env, "XDG_RUNTIME_DIR="+userRuntimeDir(t))
		}
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("ctkill %q did not return\nstderr: %s", args, r.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run ctkill %q: %v", args, err)
	}
	if strings.Contains(r.stderr, "goroutine ") || strings.Contains(r.stderr, "panic:") {
		t.Fatalf("ctkill %q panicked:\n%s", args, r.stderr)
	}
	return r
}

// killEnv is the environment ctrun and ctkill share: the user's
// XDG_RUNTIME_DIR (as one login shell would give both), nothing for root.
func killEnv(t *testing.T, user bool) []string {
	t.Helper()
	if !user {
		return nil
	}
	return []string{"XDG_RUNTIME_DIR=" + userRuntimeDir(t)}
}

// listed is one line of ctkill -l.
type listed struct {
	host, ns int
	comm     string
}

func parseList(t *testing.T, out string) []listed {
	t.Helper()
	var ls []listed
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("ctkill -l: line %q is not \"hostpid nspid comm\"", line)
		}
		h, err1 := strconv.Atoi(f[0])
		n, err2 := strconv.Atoi(f[1])
		if err1 != nil || err2 != nil || h <= 0 || n <= 0 {
			t.Fatalf("ctkill -l: line %q is not \"hostpid nspid comm\"", line)
		}
		ls = append(ls, listed{h, n, f[2]})
	}
	return ls
}

// listWhen polls ctkill -l until cond holds of the list.
func listWhen(t *testing.T, user bool, env []string, id int, what string, cond func([]listed) bool) []listed {
	t.Helper()
	var ls []listed
	eventually(t, 10*time.Second, what, func() bool {
		r := runKill(t, user, env, "-l", strconv.Itoa(id))
		if r.code != 0 {
			t.Fatalf("ctkill -l %d: exit %d: %s", id, r.code, r.stderr)
		}
		ls = parseList(t, r.stdout)
		return cond(ls)
	})
	return ls
}

func comms(ls []listed) []string {
	var c []string
	for _, l := range ls {
		c = append(c, l.comm)
	}
	slices.Sort(c)
	return c
}

// startContract starts ctrun with args before "sh -c script sh dir" and
// returns it with its contract id (the script writes $CTRUN_CTID to
// dir/id).
func startContract(t *testing.T, user bool, env []string, dir string, script string, args ...string) (*exec.Cmd, *syncBuffer, int) {
	t.Helper()
	args = append(args, "sh", "-c", script, "sh", dir)
	cmd, _, stderr := start(t, call{args: args, user: user, env: env})
	var id int
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(dir, "id"))
		if id, err = strconv.Atoi(strings.TrimSpace(string(b))); err == nil && id > 0 {
			return cmd, stderr, id
		}
		if time.Now().After(deadline) {
			t.Fatalf("ctrun %q: no contract id after 10s\nstderr: %s", args, stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// -l lists exactly the members (never the init), with their pids in the
// contract.
func TestCtkillList(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env := killEnv(t, user)
		dir := sharedDir(t)
		script := `sleep 30 & a=$!; sleep 30 & b=$!; echo $$ $a $b > $1/pids; echo $CTRUN_CTID > $1/id; wait`
		cmd, _, id := startContract(t, user, env, dir, script)
		ls := listWhen(t, user, env, id, "sh and two sleeps", func(ls []listed) bool {
			return slices.Equal(comms(ls), []string{"sh", "sleep", "sleep"})
		})
		b, _ := os.ReadFile(filepath.Join(dir, "pids"))
		var want []int // host pids, found from the namespace pids independently
		for _, f := range strings.Fields(string(b)) {
			want = append(want, hostPidOf(t, cmd.Process.Pid, atoi(f)))
		}
		var got, gotNS, wantNS []int
		for _, l := range ls {
			got = append(got, l.host)
			gotNS = append(gotNS, l.ns)
			if l.host == id {
				t.Errorf("the init %d is listed", id)
			}
		}
		for _, f := range strings.Fields(string(b)) {
			wantNS = append(wantNS, atoi(f))
		}
		slices.Sort(want)
		slices.Sort(wantNS)
		slices.Sort(gotNS)
		if !slices.Equal(got, want) || !slices.Equal(gotNS, wantNS) {
			t.Fatalf("listed %v (ns %v), want %v (ns %v)", got, gotNS, want, wantNS)
		}
		r := runKill(t, user, env, "-l", "-n", strconv.Itoa(id))
		var hosts []int
		for _, f := range strings.Fields(r.stdout) {
			hosts = append(hosts, atoi(f))
		}
		if r.code != 0 || !slices.Equal(hosts, want) || strings.Count(r.stdout, "\n") != len(want) {
			t.Fatalf("-l -n: exit %d, %q, want %v\n%s", r.code, r.stdout, want, r.stderr)
		}
		// -s 0 checks only: everyone is still there.
		if r := runKill(t, user, env, "-s", "0", strconv.Itoa(id)); r.code != 0 {
			t.Fatalf("-s 0: exit %d: %s", r.code, r.stderr)
		}
		for _, p := range want {
			if !alive(p) {
				t.Fatalf("-s 0 hurt pid %d", p)
			}
		}
		if r := runKill(t, user, env, "-s", "KILL", strconv.Itoa(id)); r.code != 0 {
			t.Fatalf("-s KILL: exit %d: %s", r.code, r.stderr)
		}
		waitExit(t, cmd, 10*time.Second)
	})
}

// -a -s TERM ends every member at once; the contract ends and ctrun
// returns.
func TestCtkillAll(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env := killEnv(t, user)
		dir := sharedDir(t)
		cmd, stderr, id := startContract(t, user, env, dir, `sleep 30 & sleep 30 & echo $CTRUN_CTID > $1/id; wait`)
		ls := listWhen(t, user, env, id, "sh and two sleeps", func(ls []listed) bool {
			return slices.Equal(comms(ls), []string{"sh", "sleep", "sleep"})
		})
		r := runKill(t, user, env, "-a", "-s", "term", strconv.Itoa(id))
		if r.code != 0 || r.stdout != "" {
			t.Fatalf("-a -s term: exit %d, stdout %q: %s", r.code, r.stdout, r.stderr)
		}
		code := waitExit(t, cmd, 5*time.Second)
		if code != 0 && code != 123 {
			t.Fatalf("ctrun exit %d:\n%s", code, stderr)
		}
		for _, l := range ls {
			if alive(l.host) {
				t.Errorf("member %d (%s) survived", l.host, l.comm)
			}
		}
	})
}

// -r hits one member chosen at random from outside the contract: under
// -f signal that is a fatal signal event, which ends the contract. The
// long spellings mean the same.
func TestCtkillRandomIsFatalSignal(t *testing.T) {
	for _, spelling := range [][]string{{"-r", "-s", "KILL"}, {"--random", "--signal=KILL"}} {
		t.Run(strings.Join(spelling, " "), func(t *testing.T) { testCtkillRandom(t, spelling) })
	}
}

func testCtkillRandom(t *testing.T, spelling []string) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env := killEnv(t, user)
		dir := sharedDir(t)
		cmd, stderr, id := startContract(t, user, env, dir, `sleep 30 & sleep 30 & echo $CTRUN_CTID > $1/id; wait`, "-v", "-f", "signal")
		ls := listWhen(t, user, env, id, "sh and two sleeps", func(ls []listed) bool {
			return slices.Equal(comms(ls), []string{"sh", "sleep", "sleep"})
		})
		r := runKill(t, user, env, append(slices.Clone(spelling), strconv.Itoa(id))...)
		if r.code != 0 {
			t.Fatalf("-r: exit %d: %s", r.code, r.stderr)
		}
		hit := parseList(t, r.stdout)
		if len(hit) != 1 || !slices.Contains(ls, hit[0]) {
			t.Fatalf("-r printed %q, not one of the members %v", r.stdout, ls)
		}
		waitExit(t, cmd, 10*time.Second)
		out := stderr.String()
		if !strings.Contains(out, "fatal event signal: pid "+strconv.Itoa(hit[0].host)+" ") || !strings.Contains(out, "killing every member") {
			t.Fatalf("killing %v from outside was not a fatal signal event that ended the contract:\n%s", hit[0], out)
		}
	})
}

// -p signals only members; anything else is refused.
func TestCtkillPid(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env := killEnv(t, user)
		dir := sharedDir(t)
		cmd, _, id := startContract(t, user, env, dir, `sleep 30 & sleep 30 & echo $CTRUN_CTID > $1/id; wait`, "-i", "signal")
		ls := listWhen(t, user, env, id, "sh and two sleeps", func(ls []listed) bool {
			return slices.Equal(comms(ls), []string{"sh", "sleep", "sleep"})
		})
		for _, pid := range []int{os.Getpid(), id} {
			r := runKill(t, user, env, "-s", "KILL", "-p", strconv.Itoa(pid), strconv.Itoa(id))
			if r.code != 1 || !strings.Contains(r.stderr, "not a member") || strings.Count(r.stderr, "\n") != 1 {
				t.Fatalf("-p %d (not a member): exit %d, stderr %q", pid, r.code, r.stderr)
			}
		}
		if !alive(id) {
			t.Fatal("the init was signalled")
		}
		var victim listed
		for _, l := range ls {
			if l.comm == "sleep" {
				victim = l
			}
		}
		r := runKill(t, user, env, "-s", "USR1", "-p", strconv.Itoa(victim.host), strconv.Itoa(id))
		if r.code != 0 {
			t.Fatalf("-p %d: exit %d: %s", victim.host, r.code, r.stderr)
		}
		eventually(t, 5*time.Second, "the victim's death", func() bool { return !alive(victim.host) })
		for _, l := range ls {
			if l != victim && !alive(l.host) {
				t.Fatalf("-p %d also killed %v", victim.host, l)
			}
		}
		if r := runKill(t, user, env, "-s", "KILL", strconv.Itoa(id)); r.code != 0 {
			t.Fatalf("-a: exit %d: %s", r.code, r.stderr)
		}
		waitExit(t, cmd, 10*time.Second)
	})
}

// Unknown contracts and bad command lines: one line and a status, never a
// stack trace.
func TestCtkillErrors(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env := killEnv(t, user)
		for _, id := range []string{"2147483647", strconv.Itoa(os.Getpid())} {
			for _, args := range [][]string{{id}, {"-l", id}, {"-r", id}, {"-p", "1", id}} {
				r := runKill(t, user, env, args...)
				if r.code != 1 || !strings.Contains(r.stderr, "no such contract") || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("ctkill %q: exit %d, stderr %q; want 1 and no such contract", args, r.code, r.stderr)
				}
			}
		}
		for _, args := range [][]string{
			{},
			{"-x", "1"},
			{"-s"},
			{"-s", "NOSUCH", "1"},
			{"-s", "99", "1"},
			{"-a", "-r", "1"},
			{"-r", "-p", "5", "1"},
			{"-p", "abc", "1"},
			{"-l", "-s", "TERM", "1"},
			{"-n", "1"},
			{"1", "2"},
			{"abc"},
			{"0"},
			{"-1"},
		} {
			r := runKill(t, user, env, args...)
			if r.code != 2 || !strings.Contains(r.stderr, "usage: ctkill") || !strings.HasPrefix(r.stderr, "ctkill: ") {
				t.Errorf("ctkill %q: exit %d, stderr %q; want a usage error", args, r.code, r.stderr)
			}
		}
	})
}

// A user cannot signal (or list) root's contract; root can signal a
// user's.
func TestCtkillUserIsolation(t *testing.T) {
	requireRoot(t)
	clean(t)
	dir := sharedDir(t)
	cmd, _, id := startContract(t, false, nil, dir, `sleep 30 & echo $CTRUN_CTID > $1/id; wait`)
	ls := listWhen(t, false, nil, id, "sh and sleep", func(ls []listed) bool {
		return slices.Equal(comms(ls), []string{"sh", "sleep"})
	})
	env := killEnv(t, true)
	sid := strconv.Itoa(id)
	for _, args := range [][]string{
		{"-s", "KILL", sid},
		{"-s", "KILL", "-r", sid},
		{"-s", "KILL", "-p", strconv.Itoa(ls[0].host), sid},
		{"-l", sid},
	} {
		r := runKill(t, true, env, args...)
		if r.code != 1 || !(strings.Contains(r.stderr, "another user") || strings.Contains(r.stderr, "no such contract")) {
			t.Errorf("uid %d: ctkill %q: exit %d, stdout %q, stderr %q", nobody, args, r.code, r.stdout, r.stderr)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for _, l := range ls {
		if !alive(l.host) {
			t.Fatalf("root's member %v was killed by uid %d", l, nobody)
		}
	}
	if r := runKill(t, false, nil, "-s", "KILL", sid); r.code != 0 {
		t.Fatalf("root: exit %d: %s", r.code, r.stderr)
	}
	waitExit(t, cmd, 10*time.Second)

	// The other way round: root reaches the user's contract.
	udir := sharedDir(t)
	ucmd, _, uid := startContract(t, true, env, udir, `sleep 30 & echo $CTRUN_CTID > $1/id; wait`)
	listWhen(t, false, nil, uid, "the user's sh and sleep, as root", func(ls []listed) bool {
		return slices.Equal(comms(ls), []string{"sh", "sleep"})
	})
	if r := runKill(t, false, nil, "-s", "KILL", strconv.Itoa(uid)); r.code != 0 {
		t.Fatalf("root on the user's contract: exit %d: %s", r.code, r.stderr)
	}
	waitExit(t, ucmd, 10*time.Second)
}

// -a is atomic with respect to forks: members forked while the signal is
// on its way do not escape it, so the contract ends at once.
func TestCtkillAllAtomic(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env := killEnv(t, user)
		dir := sharedDir(t)
		// Still forking when the signal comes.
		script := `echo $CTRUN_CTID > $1/id; for i in $(seq 200); do sleep 30 & done; wait`
		cmd, stderr, id := startContract(t, user, env, dir, script)
		listWhen(t, user, env, id, "the fork loop under way", func(ls []listed) bool { return len(ls) >= 20 })
		r := runKill(t, user, env, "-a", "-s", "KILL", strconv.Itoa(id))
		if r.code != 0 {
			t.Fatalf("-a -s KILL: exit %d: %s", r.code, r.stderr)
		}
		waitExit(t, cmd, 5*time.Second)
		r = runKill(t, user, env, "-l", strconv.Itoa(id))
		if r.stdout != "" || r.code != 1 {
			t.Fatalf("after -a -s KILL: -l exit %d, members left:\n%s\n%s\nctrun:\n%s", r.code, r.stdout, r.stderr, stderr)
		}
	})
}

// -a is sent by the init on ctkill's behalf, but the holder is told so: it
// is a signal from outside (a fatal signal event under -f signal), never a
// member's signal to members.
func TestCtkillAllIsSignalEvent(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env := killEnv(t, user)
		dir := sharedDir(t)
		cmd, stderr, id := startContract(t, user, env, dir, `sleep 30 & echo $CTRUN_CTID > $1/id; wait`, "-v", "-f", "signal")
		listWhen(t, user, env, id, "sh and sleep", func(ls []listed) bool {
			return slices.Equal(comms(ls), []string{"sh", "sleep"})
		})
		if r := runKill(t, user, env, "-a", "-s", "TERM", strconv.Itoa(id)); r.code != 0 {
			t.Fatalf("-a: exit %d: %s", r.code, r.stderr)
		}
		waitExit(t, cmd, 10*time.Second)
		if out := stderr.String(); !strings.Contains(out, "fatal event signal") {
			t.Fatalf("-a was not taken for a signal from outside:\n%s", out)
		}
	})
}

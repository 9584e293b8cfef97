package test

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ctkill -S stops a contract as a user stop (semantics page, section 3):
// through its holder when it has one (no restart follows, ctrun returns as
// after kill -TERM), by ctkill itself when it is orphaned; members that
// ignore the signal are killed after the grace; a setsid member is no
// escape; ctkill returns 0 once the contract is empty, and nothing is left.
func TestCtkillStop(t *testing.T) {
	// Each script writes $CTRUN_CTID to $1/id once its members run.
	const (
		// A daemon that ends on TERM: the command waits for it.
		daemon = `sleep 100 & echo $CTRUN_CTID > $1/id; wait`
		// The command and a member of a session of its own.
		setsid = `setsid sleep 100 & sleep 100 & echo $CTRUN_CTID > $1/id; wait`
		// Every member ignores TERM (an ignored signal stays ignored
		// across exec): only SIGKILL after the grace ends them.
		deaf = `trap "" TERM; sleep 100 & setsid sleep 100 & echo $CTRUN_CTID > $1/id; wait`
	)
	for _, tc := range []struct {
		name   string
		script string
		ctrun  []string // ctrun's options before the command
		kill   []string // ctkill's options before the id
		// grace: CTRUN_GRACE for ctrun (recorded, so the holder's and an
		// orphan's) or for ctkill alone.
		ctrunGrace, killGrace string
		orphan                bool // SIGKILL the holder first
		members               []string
		// ctrun's status as for a user stop (-1: ended by the signal);
		// not checked for an orphan.
		want int
	}{
		{name: "restarting daemon", script: daemon, ctrun: []string{"-v", "-r", "0", "-f", "signal"}, kill: []string{"--stop"},
			members: []string{"sh", "sleep"}, want: 123},
		// sh's background sleep ignores INT (as an asynchronous command of
		// a shell without job control does): killed after the grace.
		{name: "restarting daemon by SIGINT", script: daemon, ctrun: []string{"-v", "-r", "0", "-f", "signal"}, kill: []string{"-S", "-s", "INT"},
			ctrunGrace: "1", members: []string{"sh", "sleep"}, want: -1},
		// The holder returns once the command has gone, leaving the
		// setsid member: ctkill goes on with the stop itself.
		{name: "lifetime child", script: `setsid sleep 100 & echo $CTRUN_CTID > $1/id; exec sleep 100`, ctrun: []string{"-v", "-l", "child"}, kill: []string{"-S"},
			members: []string{"sleep", "sleep"}, want: 123},
		{name: "setsid member", script: setsid, ctrun: []string{"-v", "-r", "3", "-f", "signal"}, kill: []string{"-S"},
			members: []string{"sh", "sleep", "sleep"}, want: 123},
		{name: "members ignore TERM, holder's grace", script: deaf, ctrun: []string{"-v", "-r", "0", "-f", "signal"}, kill: []string{"-S"},
			ctrunGrace: "1", members: []string{"sh", "sleep", "sleep"}, want: 123},
		{name: "members ignore TERM, ctkill's shorter grace", script: deaf, ctrun: []string{"-v", "-r", "0", "-f", "signal"}, kill: []string{"-S"},
			killGrace: "0.5", members: []string{"sh", "sleep", "sleep"}, want: 123},
		{name: "orphaned", script: setsid, kill: []string{"--stop"}, orphan: true,
			members: []string{"sh", "sleep", "sleep"}},
		{name: "orphaned, members ignore TERM", script: deaf, kill: []string{"-S"}, orphan: true, killGrace: "1",
			members: []string{"sh", "sleep", "sleep"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			asRootAndUser(t, func(t *testing.T, user bool) {
				testCtkillStop(t, user, tc.script, tc.ctrun, tc.kill, tc.ctrunGrace, tc.killGrace, tc.orphan, tc.members, tc.want)
			})
		})
	}
}

func testCtkillStop(t *testing.T, user bool, script string, ctrunArgs, killArgs []string, ctrunGrace, killGrace string, orphan bool, want []string, code int) {
	clean(t)
	env := killEnv(t, user)
	dir := sharedDir(t)
	cenv := slices.Clone(env)
	if ctrunGrace != "" {
		cenv = append(cenv, "CTRUN_GRACE="+ctrunGrace)
	}
	cmd, stderr, id := startContract(t, user, cenv, dir, script, ctrunArgs...)
	ls := listWhen(t, user, env, id, strings.Join(want, " "), func(ls []listed) bool {
		return slices.Equal(comms(ls), want)
	})
	if orphan {
		cmd.Process.Kill()
		waitExit(t, cmd, 10*time.Second)
		if !alive(id) {
			t.Fatalf("the contract ended with its holder")
		}
	}
	kenv := slices.Clone(env)
	if killGrace != "" {
		kenv = append(kenv, "CTRUN_GRACE="+killGrace)
	}
	r := runKill(t, user, kenv, append(slices.Clone(killArgs), strconv.Itoa(id))...)
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("ctkill %q %d: exit %d, stdout %q, stderr %q\nctrun:\n%s", killArgs, id, r.code, r.stdout, r.stderr, stderr)
	}
	// Returned once the contract is empty: every member has gone.
	for _, l := range ls {
		if alive(l.host) {
			t.Errorf("member %d (%s) outlived ctkill %q", l.host, l.comm, killArgs)
		}
	}
	if orphan {
		return // clean checks that the contract left nothing
	}
	got := waitExit(t, cmd, 10*time.Second)
	out := stderr.String()
	if got != code {
		t.Errorf("ctrun exit %d, want %d as for a user stop\n%s", got, code, out)
	}
	if strings.Contains(out, "restart 1") || !strings.Contains(out, "will not be restarted") {
		t.Errorf("not a user stop, or a restart followed:\n%s", out)
	}
	if strings.Contains(out, "fatal event") {
		t.Errorf("the stop was taken for a fatal event:\n%s", out)
	}
}

// What ctkill -S cannot do it refuses with one line and its status,
// touching nothing: no such contract, someone else's (uid 65534 on root's),
// a signal that asks for no stop, options it excludes, a bad CTRUN_GRACE.
func TestCtkillStopRefused(t *testing.T) {
	requireRoot(t)
	clean(t)
	dir := sharedDir(t)
	cmd, _, id := startContract(t, false, nil, dir, `sleep 100 & echo $CTRUN_CTID > $1/id; wait`, "-r", "0")
	ls := listWhen(t, false, nil, id, "sh and sleep", func(ls []listed) bool {
		return slices.Equal(comms(ls), []string{"sh", "sleep"})
	})
	sid := strconv.Itoa(id)
	uenv := killEnv(t, true)
	for _, tc := range []struct {
		name string
		user bool
		env  []string
		args []string
		code int
		msg  string
	}{
		{"no such contract", false, nil, []string{"-S", "2147483647"}, 1, "no such contract"},
		{"no such contract, user", true, uenv, []string{"--stop", "2147483647"}, 1, "no such contract"},
		{"root's contract, user", true, uenv, []string{"-S", sid}, 1, "another user"},
		{"root's contract by SIGINT, user", true, uenv, []string{"-S", "-s", "INT", sid}, 1, "another user"},
		{"no stop signal", false, nil, []string{"-S", "-s", "USR1", sid}, 2, "TERM, INT, HUP or QUIT"},
		{"signal 0", false, nil, []string{"--stop", "--signal=0", sid}, 2, "TERM, INT, HUP or QUIT"},
		{"with -a", false, nil, []string{"-S", "-a", sid}, 2, "exclude each other"},
		{"with -p", false, nil, []string{"-p", "5", "-S", sid}, 2, "exclude each other"},
		{"with -l", false, nil, []string{"-l", "-S", sid}, 2, "exclude each other"},
		{"stop takes no value", false, nil, []string{"--stop=1", sid}, 2, "takes no argument"},
		{"bad grace", false, []string{"CTRUN_GRACE=soon"}, []string{"-S", sid}, 2, "CTRUN_GRACE: \"soon\" is not a number of seconds"},
		{"negative grace", false, []string{"CTRUN_GRACE=-1"}, []string{"-S", sid}, 2, "CTRUN_GRACE"},
	} {
		r := runKill(t, tc.user, tc.env, tc.args...)
		if r.code != tc.code || !strings.Contains(r.stderr, tc.msg) || strings.Count(r.stderr, "\n") > 2 || !strings.HasPrefix(r.stderr, "ctkill: ") {
			t.Errorf("%s: ctkill %q: exit %d, stderr %q; want %d and %q", tc.name, tc.args, r.code, r.stderr, tc.code, tc.msg)
		}
	}
	for _, l := range ls {
		if !alive(l.host) {
			t.Fatalf("member %v was hurt by a refused stop", l)
		}
	}
	// Root's own stop still works, and ctrun returns as for kill -TERM.
	if r := runKill(t, false, nil, "-S", sid); r.code != 0 {
		t.Fatalf("root: exit %d: %s", r.code, r.stderr)
	}
	if code := waitExit(t, cmd, 10*time.Second); code != 123 {
		t.Fatalf("ctrun exit %d after the stop, want 123", code)
	}
}

// Root stops a user's orphaned contract; what it leaves is collected from
// the user's state directory as the user's own ctkill would.
func TestCtkillStopUsersOrphanAsRoot(t *testing.T) {
	requireRoot(t)
	clean(t)
	xdg := userRuntimeDir(t)
	env := []string{"XDG_RUNTIME_DIR=" + xdg}
	dir := sharedDir(t)
	cmd, _, id := startContract(t, true, env, dir, `setsid sleep 100 & sleep 100 & echo $CTRUN_CTID > $1/id; wait`)
	ls := listWhen(t, true, env, id, "sh and two sleeps", func(ls []listed) bool {
		return slices.Equal(comms(ls), []string{"sh", "sleep", "sleep"})
	})
	cmd.Process.Signal(syscall.SIGKILL)
	waitExit(t, cmd, 10*time.Second)
	if r := runKill(t, false, nil, "-S", strconv.Itoa(id)); r.code != 0 {
		t.Fatalf("root on the user's orphan: exit %d: %s", r.code, r.stderr)
	}
	for _, l := range ls {
		if alive(l.host) {
			t.Errorf("member %v outlived the stop", l)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(xdg, "ctrun", strconv.Itoa(id)+".*")); len(left) > 0 {
		t.Errorf("left in the user's state directory: %v", left)
	}
	if _, err := os.Stat(filepath.Join(xdg, "ctrun")); err == nil {
		if fi, _ := os.Stat(filepath.Join(xdg, "ctrun")); fi != nil && fi.Sys().(*syscall.Stat_t).Uid != nobody {
			t.Errorf("the user's state directory now belongs to uid %d", fi.Sys().(*syscall.Stat_t).Uid)
		}
	}
}

// A contract inherited by a regent contract (its own holder gone) is
// stopped alone: the regent's holder is not asked, and its contract runs
// on, until it is stopped in turn.
func TestCtkillStopInherited(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		dir := sharedDir(t)
		env := nestedEnv(t, user)
		daemon := `echo $CTRUN_CTID > ` + dir + `/id
			ctrun -l none -o inherit sh -c 'exec >/dev/null 2>&1; echo $CTRUN_CTID > ` + dir + `/helper.id; exec sleep 100'
			while :; do sleep 0.05; done`
		cmd, _, stderr := start(t, call{args: []string{"-v", "-r", "0", "-o", "regent", "-f", "signal", "sh", "-c", daemon}, user: user, env: env})
		id := readPidFile(t, dir+"/id")
		helper := readPidFile(t, dir+"/helper.id")
		var cs map[int]statEntry
		eventually(t, 10*time.Second, "the helper inherited", func() bool {
			cs = statAll(t, user, env)
			h, ok := cs[helper]
			return ok && h.State == "inherited" && len(h.Members) == 1
		})
		member := cs[helper].Members[0].Pid
		if r := runTool(t, ctkillBin, user, env, "-S", strconv.Itoa(helper)); r.code != 0 {
			t.Fatalf("ctkill -S %d (inherited): exit %d: %s", helper, r.code, r.stderr)
		}
		if alive(member) {
			t.Fatalf("the inherited contract's member %d outlived its stop", member)
		}
		cs = statAll(t, user, env)
		if _, ok := cs[helper]; ok {
			t.Fatalf("the inherited contract is still listed: %+v", cs[helper])
		}
		if r, ok := cs[id]; !ok || r.State != "owned" || cmd.ProcessState != nil {
			t.Fatalf("the regent contract did not run on: %+v\n%s", r, stderr)
		}
		if r := runTool(t, ctkillBin, user, env, "-S", strconv.Itoa(id)); r.code != 0 {
			t.Fatalf("ctkill -S %d (the regent): exit %d: %s", id, r.code, r.stderr)
		}
		if code := waitExit(t, cmd, 10*time.Second); code != 123 || strings.Contains(stderr.String(), "restart 1") {
			t.Fatalf("ctrun exit %d, want 123 and no restart\n%s", code, stderr)
		}
	})
}

// A contract adopted (ctrun -a) is stopped through its new holder. Root
// may adopt a user's contract: the user's ctkill -S is then refused (root's
// holder is not theirs to signal), and root's goes through.
func TestCtkillStopAdopted(t *testing.T) {
	t.Run("by its owner", func(t *testing.T) {
		asRootAndUser(t, func(t *testing.T, user bool) { testCtkillStopAdopted(t, user, false) })
	})
	t.Run("a user's, by root", func(t *testing.T) {
		requireRoot(t)
		testCtkillStopAdopted(t, true, true)
	})
}

// testCtkillStopAdopted orphans a contract of root's or of the user's,
// has it adopted by its owner or by root, and stops it with ctkill -S.
func testCtkillStopAdopted(t *testing.T, user, rootAdopts bool) {
	clean(t)
	env := killEnv(t, user)
	dir := sharedDir(t)
	cmd, _, id := startContract(t, user, env, dir, `sleep 100 & echo $CTRUN_CTID > $1/id; wait`)
	ls := listWhen(t, user, env, id, "sh and sleep", func(ls []listed) bool {
		return slices.Equal(comms(ls), []string{"sh", "sleep"})
	})
	cmd.Process.Kill()
	waitExit(t, cmd, 10*time.Second)
	adoptAsUser := user && !rootAdopts
	var aenv []string
	if adoptAsUser {
		aenv = env
	}
	adopter, _, astderr := start(t, call{args: []string{"-v", "-a", strconv.Itoa(id)}, user: adoptAsUser, env: aenv})
	eventually(t, 10*time.Second, "the adoption", func() bool { return strings.Contains(astderr.String(), "adopted") })
	if rootAdopts {
		r := runKill(t, true, env, "-S", strconv.Itoa(id))
		if r.code != 1 || !strings.Contains(r.stderr, "only root can stop it") || strings.Count(r.stderr, "\n") != 1 {
			t.Fatalf("the user's ctkill -S of a contract root adopted: exit %d, stderr %q", r.code, r.stderr)
		}
		for _, l := range ls {
			if !alive(l.host) {
				t.Fatalf("member %v was hurt by a refused stop", l)
			}
		}
	}
	if r := runKill(t, adoptAsUser, env, "-S", strconv.Itoa(id)); r.code != 0 || r.stderr != "" {
		t.Fatalf("ctkill -S of the adopted contract: exit %d: %s\nadopter:\n%s", r.code, r.stderr, astderr)
	}
	for _, l := range ls {
		if alive(l.host) {
			t.Errorf("member %v outlived the stop", l)
		}
	}
	if code := waitExit(t, adopter, 10*time.Second); code != 123 || !strings.Contains(astderr.String(), "will not be restarted") {
		t.Fatalf("adopter exit %d, want 123 after a user stop:\n%s", code, astderr)
	}
}

// ctkill -S waits for the contract to empty no longer than the grace and
// a margin: a holder that does not carry the stop out (stopped here) makes
// it give up with exit 3 and a line that says so. The stop stays asked
// for: once the holder runs again, it stops the contract.
func TestCtkillStopNotEmpty(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env := killEnv(t, user)
		dir := sharedDir(t)
		cmd, stderr, id := startContract(t, user, append(slices.Clone(env), "CTRUN_GRACE=0.2"), dir,
			`sleep 100 & echo $CTRUN_CTID > $1/id; wait`, "-v", "-r", "0")
		ls := listWhen(t, user, env, id, "sh and sleep", func(ls []listed) bool {
			return slices.Equal(comms(ls), []string{"sh", "sleep"})
		})
		if err := cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		r := runKill(t, user, env, "-S", strconv.Itoa(id))
		if r.code != 3 || !strings.Contains(r.stderr, "still not empty") || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("ctkill -S with the holder stopped: exit %d, stderr %q; want 3", r.code, r.stderr)
		}
		for _, l := range ls {
			if !alive(l.host) {
				t.Errorf("member %v ended though the holder never passed the stop on", l)
			}
		}
		cmd.Process.Signal(syscall.SIGCONT)
		if code := waitExit(t, cmd, 10*time.Second); code != 123 || strings.Contains(stderr.String(), "restart 1") {
			t.Fatalf("once continued, ctrun exit %d, want 123 and no restart:\n%s", code, stderr)
		}
	})
}

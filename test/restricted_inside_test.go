package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// restrictedInsideScript runs inside a contract held where no PID
// namespace can be had (a subreaper's, a container's): pids there are the
// holder's, and the companions see the contract and a sub-contract made
// inside it as they would from outside.
const restrictedInsideScript = `set -u
echo $$ > $D/pid
ctstat -j -i $CTRUN_CTID > $D/own.j 2>&1
ctrun -l none sh -c 'echo $CTRUN_CTID > $D/sub.tmp; mv $D/sub.tmp $D/sub.id; exec sleep 60' || exit 90
until [ -s $D/sub.id ]; do sleep 0.02; done
sub=$(cat $D/sub.id)
# Its command writes the id before it becomes the sleep.
until [ "$(ctkill -l $sub | awk '{ print $3 }')" = sleep ]; do sleep 0.02; done
ctstat -j > $D/all.j 2>&1
ctkill -s KILL $sub > $D/kill 2>&1; echo $? >> $D/kill
while [ -n "$(ctstat -i $sub | tail -n +2)" ]; do sleep 0.02; done
exit 0
`

// Inside a contract of the environment, ctstat lists it with the shell as
// a member and a sub-contract made inside it, and ctkill ends that one.
//
// Only where the contract has no PID namespace: with one, inside is
// TestInsideContract's (and without the connector, as under netns, a
// ctrun there cannot learn the host pids a sub-contract's id is made of).
func checkInside(t *testing.T, r restriction) {
	if !r.nons && !r.nouserns {
		t.Skip("the contract has a PID namespace of its own here")
	}
	env, _ := statEnv(t, r.user)
	dir := sharedDir(t)
	env = append(env, "PATH="+binDir+":/usr/bin:/bin", "D="+dir)
	t.Cleanup(func() {
		if b, err := os.ReadFile(filepath.Join(dir, "sub.id")); err == nil {
			runRestricted(t, call{args: []string{"-s", "KILL", strings.TrimSpace(string(b))}, env: env, user: r.user}, ctkillBin, r.filterFlags())
		}
	})
	res := runIn(t, r, call{args: []string{"sh", "-c", restrictedInsideScript}, env: env, timeout: 60e9})
	if res.code != 0 {
		t.Fatalf("the script inside: exit %d\n%s", res.code, res.stderr)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("the script left no %s: %v\n%s", name, err, res.stderr)
		}
		return string(b)
	}
	sh := atoi(read("pid"))
	own := statObjects(t, read("own.j"))
	if len(own) != 1 {
		t.Fatalf("inside, ctstat -j -i $CTRUN_CTID:\n%s", read("own.j"))
	}
	var id int
	for k, o := range own {
		id = k
		if o.State != "owned" || !hasMember(o, sh, sh, "sh") {
			t.Errorf("inside, ctstat -j -i %d: %+v, want it owned with the shell %d as a member", k, o, sh)
		}
	}
	sub := atoi(read("sub.id"))
	all := statObjects(t, read("all.j"))
	if s, ok := all[sub]; !ok || s.State != "orphaned" || len(s.Members) != 1 || s.Members[0].Comm != "sleep" {
		t.Errorf("inside, ctstat -j lists sub-contract %d as %+v (listed: %v), want it orphaned with its sleep", sub, s, keys(all))
	}
	if _, ok := all[id]; !ok {
		t.Errorf("inside, ctstat -j does not list contract %d:\n%s", id, read("all.j"))
	}
	if k := read("kill"); k != "0\n" {
		t.Errorf("inside, ctkill -s KILL %d: %q", sub, k)
	}
}

package test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ctstat, ctkill and ctwatch run inside a contract (issue 13): the command
// sees its own contract and the sub-contracts made inside it, by the ids
// the host gives them (CTRUN_CTID), with members by their pids there; it
// signals and watches them as it would from outside; and a contract of
// the same user started outside (a sibling) is out of its sight and
// reach. The script runs every companion inside and leaves what they said
// in files; the test reads them once the contract is over.

// insideScript is run by sh inside the contract, with D the shared
// directory and SIB the sibling contract's id. Each wait is for something
// the script itself brings about; the test's timeout bounds them.
const insideScript = `set -u
echo $CTRUN_CTID > $D/id
echo $$ > $D/pid
ctstat > $D/plain 2>&1
ctstat -i $CTRUN_CTID > $D/own 2>&1
ctstat -v -i $CTRUN_CTID > $D/own.v 2>&1
ctstat -j -i $CTRUN_CTID > $D/own.j 2>&1

# A sub-contract, left running by its holder (-l none).
ctrun -l none sh -c 'echo $$ > $D/sub.nspid; echo $CTRUN_CTID > $D/sub.tmp; mv $D/sub.tmp $D/sub.id; exec sleep 60' || exit 90
until [ -s $D/sub.id ]; do sleep 0.02; done
sub=$(cat $D/sub.id)
# Its command writes the id before it becomes the sleep.
until [ "$(ctkill -l $sub | awk '{ print $3 }')" = sleep ]; do sleep 0.02; done
ctstat -j > $D/all.j 2>&1
ctstat -v -i $sub > $D/sub.v 2>&1
ctkill -l $sub > $D/sub.l 2>&1
ctrun -a $sub > $D/sub.adopt 2>&1; echo $? >> $D/sub.adopt
# ctkill from inside: the sub-contract's member, by its pid here.
ctkill -s KILL -p $(awk 'NR == 1 { print $1 }' $D/sub.l) $sub > $D/sub.kill 2>&1; echo $? >> $D/sub.kill
while [ -n "$(ctstat -i $sub | tail -n +2)" ]; do sleep 0.02; done

# ctwatch from inside: an event queued before it came (-f), one after.
sh -c 'exit 7'
ctwatch -f -j $CTRUN_CTID > $D/watch 2>&1 &
w=$!
until grep -q '"exit_code":7' $D/watch; do sleep 0.02; done
sh -c 'exit 9'
until grep -q '"exit_code":9' $D/watch; do sleep 0.02; done
kill $w; wait $w

# The sibling, started outside: out of sight and reach.
ctstat -i $SIB > $D/sib.stat 2>&1; echo $? >> $D/sib.stat
ctstat -j -i $SIB > $D/sib.j 2>&1
ctkill -l $SIB > $D/sib.l 2>&1; echo $? >> $D/sib.l
ctkill -s KILL $SIB > $D/sib.kill 2>&1; echo $? >> $D/sib.kill
ctwatch $SIB > $D/sib.watch 2>&1; echo $? >> $D/sib.watch
exit 0
`

func TestInsideContract(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, _ := statEnv(t, user)
		env = append(env, "PATH="+binDir+":/usr/bin:/bin")
		dir := sharedDir(t)
		sib, sibID := statContract(t, user, env, dir, "sib", "exec sleep 60")
		// The sub-contract outlives the script if a check fails: end it.
		t.Cleanup(func() {
			if b, err := os.ReadFile(filepath.Join(dir, "sub.id")); err == nil {
				runTool(t, ctkillBin, user, env, "-s", "KILL", strings.TrimSpace(string(b)))
			}
		})
		cmd, _, stderr := start(t, call{
			args: []string{"-i", "exit", "sh", "-c", insideScript},
			user: user,
			env:  append(env, "D="+dir, "SIB="+itoa(sibID)),
		})
		if code := waitExit(t, cmd, 60*time.Second); code != 0 {
			t.Fatalf("the script inside: exit %d\n%s", code, stderr)
		}
		read := func(name string) string {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("the script left no %s: %v\n%s", name, err, stderr)
			}
			return string(b)
		}
		id, shPid := atoi(read("id")), atoi(read("pid"))
		holder := itoa(cmd.Process.Pid)

		// Its own contract, by the id the host gives it; the sibling not.
		rows := statRows(t, read("plain"))
		if got := rows[id]; got.state != "owned" || got.holder != holder {
			t.Errorf("inside, ctstat lists contract %d as %+v, want owned by holder %s:\n%s", id, got, holder, read("plain"))
		}
		if _, ok := rows[sibID]; ok {
			t.Errorf("inside, ctstat lists the sibling contract %d, started outside:\n%s", sibID, read("plain"))
		}
		if rows := statRows(t, read("own")); len(rows) != 1 || rows[id].state != "owned" {
			t.Errorf("inside, ctstat -i $CTRUN_CTID:\n%s", read("own"))
		}
		// Members by their pids in the contract: the shell is one.
		kv := statDetails(t, read("own.v"), id)
		if m := kv["member processes"]; !strings.Contains(" "+m+" ", " "+itoa(shPid)+" ("+itoa(shPid)+") ") {
			t.Errorf("inside, ctstat -v members %q, want the shell as %d (%d)", m, shPid, shPid)
		}
		own, ok := statObjects(t, read("own.j"))[id]
		if !ok || own.State != "owned" || own.Holder == nil || *own.Holder != cmd.Process.Pid || !hasMember(own, shPid, shPid, "sh") {
			t.Errorf("inside, ctstat -j -i %d: %+v, want it owned by %d with the shell %d as a member", id, own, cmd.Process.Pid, shPid)
		}

		// The sub-contract made inside: listed with the id its command
		// got, made from the contract, with its member by its pid here
		// and in the sub-contract.
		subID, subNS := atoi(read("sub.id")), atoi(read("sub.nspid"))
		all := statObjects(t, read("all.j"))
		sub, ok := all[subID]
		if !ok || sub.State != "orphaned" || len(sub.Members) != 1 || sub.Members[0].NSpid != subNS || sub.Members[0].Comm != "sleep" {
			t.Errorf("inside, ctstat -j lists sub-contract %d as %+v (listed: %v), want it orphaned with its sleep, pid %d there", subID, sub, keys(all), subNS)
		}
		if _, ok := all[id]; !ok || len(all) != 2 {
			t.Errorf("inside, ctstat -j lists %v, want %d and %d only", keys(all), id, subID)
		}
		if kv := statDetails(t, read("sub.v"), subID); kv["lifetime"] != "none" {
			t.Errorf("inside, ctstat -v -i %d: %v", subID, kv)
		}
		ls := parseList(t, read("sub.l"))
		if len(ls) != 1 || ls[0].ns != subNS || ls[0].comm != "sleep" || ls[0].host == subNS {
			t.Errorf("inside, ctkill -l %d: %+v, want its sleep by its pid here and %d in the sub-contract", subID, ls, subNS)
		}
		// Adopting needs the host's pids: refused inside, said why.
		if a := read("sub.adopt"); !strings.Contains(a, "from inside a contract") || !strings.HasSuffix(a, "\n124\n") {
			t.Errorf("inside, ctrun -a %d: %q, want a refusal (124)", subID, a)
		}
		if k := read("sub.kill"); k != "0\n" {
			t.Errorf("inside, ctkill -s KILL -p of the sub-contract's member: %q", k)
		}

		// ctwatch inside got both exits.
		var codes []int
		for _, l := range parseLines(t, []byte(read("watch"))) {
			if l.Ctid == id && l.Type == "exit" && l.ExitCode != nil {
				codes = append(codes, *l.ExitCode)
			}
		}
		if !contains(codes, 7) || !contains(codes, 9) {
			t.Errorf("inside, ctwatch -f -j saw exits %v, want 7 and 9:\n%s", codes, read("watch"))
		}

		// The sibling: not listed, not signalled, not watched; still
		// running.
		for name, want := range map[string]string{
			"sib.stat":  statHeader + "\n0\n",
			"sib.j":     "",
			"sib.l":     "no such contract: " + itoa(sibID),
			"sib.kill":  "no such contract: " + itoa(sibID),
			"sib.watch": "no such contract",
		} {
			got := read(name)
			if want == "" || strings.HasSuffix(want, "\n") {
				if got != want {
					t.Errorf("inside, %s: %q, want %q", name, got, want)
				}
				continue
			}
			if !strings.Contains(got, want) || !strings.HasSuffix(got, "\n1\n") {
				t.Errorf("inside, %s: %q, want %q and exit 1", name, got, want)
			}
		}
		if r := runStat(t, user, env, "-i", itoa(sibID)); statRows(t, r.stdout)[sibID].state != "owned" {
			t.Errorf("the sibling %d is gone after the tries from inside:\n%s", sibID, r.stdout)
		}
		if ls := parseList(t, runKill(t, user, env, "-l", itoa(sibID)).stdout); len(ls) != 1 || ls[0].comm != "sleep" {
			t.Errorf("the sibling's sleep is gone after the tries from inside: %+v", ls)
		}
		_ = sib // stopped at the end of the test (start)
	})
}

func hasMember(o statJSON, pid, nspid int, comm string) bool {
	for _, m := range o.Members {
		if m.Pid == pid && m.NSpid == nspid && m.Comm == comm {
			return true
		}
	}
	return false
}

func keys(m map[int]statJSON) []string {
	var out []string
	for k := range m {
		out = append(out, strconv.Itoa(k))
	}
	return out
}

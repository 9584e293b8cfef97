package test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ctstat(1): contracts listed with their state, holder, terms and members,
// as root and as another user, and bad state reported without being
// followed.

const statHeader = "CTID    TYPE    STATE   HOLDER  EVENTS"

// runStat runs ctstat to the end, as root or as uid 65534 (with env, which
// for the user names the XDG_RUNTIME_DIR its contracts were started with).
func runStat(t *testing.T, user bool, env []string, args ...string) result {
	t.Helper()
	c := call{args: args, user: user, env: env, timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := c.command(t, ctx)
	cmd.Path, cmd.Args[0] = ctstatBin, ctstatBin
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String(), elapsed: time.Since(start)}
	if ctx.Err() != nil {
		t.Fatalf("ctstat %q did not return within %v\nstderr: %s", args, c.timeout, r.stderr)
	}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run ctstat %q: %v", args, err)
	}
	return r
}

// statEnv is the environment that makes ctrun and ctstat use the same
// state directory, and that directory.
func statEnv(t *testing.T, user bool) ([]string, string) {
	t.Helper()
	if !user {
		requireRoot(t)
		// See below: there too, the holder needs the directory first.
		if err := os.Mkdir("/run/ctrun", 0o700); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		return nil, "/run/ctrun"
	}
	xdg := userRuntimeDir(t)
	// Made beforehand, as the user's own (0700): a holder makes its watch
	// socket only if the state directory is already there when it starts.
	// It is userStateDir whatever XDG_RUNTIME_DIR says; the variable is
	// given all the same, as a login shell would.
	state := userStateDir
	if err := os.Mkdir(state, 0o700); err != nil && !os.IsExist(err) {
		t.Fatal(err)
	}
	if err := os.Chown(state, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(state) }) // when empty, as ctrun leaves it
	return []string{"XDG_RUNTIME_DIR=" + xdg}, state
}

// statRow is one contract's line of the plain listing.
type statRow struct {
	state, holder string
	events        int
}

// statRows reads a plain or -v listing: the header must come first; the
// -v detail lines (indented) are skipped.
func statRows(t *testing.T, out string) map[int]statRow {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) == 0 || lines[0] != statHeader {
		t.Fatalf("no header %q first:\n%s", statHeader, out)
	}
	rows := map[int]statRow{}
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, "\t") {
			continue
		}
		f := strings.Fields(l)
		if len(f) != 5 || f[1] != "process" {
			t.Fatalf("bad line %q in:\n%s", l, out)
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			t.Fatalf("line %q does not start with a contract id", l)
		}
		ev, err := strconv.Atoi(f[4])
		if err != nil || ev < 0 {
			t.Fatalf("line %q: events %q is not a count", l, f[4])
		}
		if _, dup := rows[id]; dup {
			t.Fatalf("contract %d listed twice:\n%s", id, out)
		}
		rows[id] = statRow{state: f[2], holder: f[3], events: ev}
	}
	return rows
}

// statDetails reads the -v lines under contract id's line.
func statDetails(t *testing.T, out string, id int) map[string]string {
	t.Helper()
	kv := map[string]string{}
	in := false
	for _, l := range strings.Split(out, "\n") {
		if !strings.HasPrefix(l, "\t") {
			f := strings.Fields(l)
			in = len(f) > 0 && f[0] == itoa(id)
			continue
		}
		if in {
			k, v, ok := strings.Cut(strings.TrimPrefix(l, "\t"), ":")
			if !ok {
				t.Fatalf("detail line %q is not key: value", l)
			}
			kv[k] = strings.TrimSpace(v)
		}
	}
	if len(kv) == 0 {
		t.Fatalf("no -v details for contract %d:\n%s", id, out)
	}
	return kv
}

// statJSON is ctstat -j's object, as documented in ctstat(1).
type statJSON struct {
	ID           int      `json:"id"`
	Type         string   `json:"type"`
	State        string   `json:"state"`
	Holder       *int     `json:"holder"`
	EventsQueued int      `json:"events_queued"`
	Informative  []string `json:"informative"`
	Fatal        []string `json:"fatal"`
	Lifetime     string   `json:"lifetime"`
	Options      []string `json:"options"`
	Restart      bool     `json:"restart"`
	RestartCount int      `json:"restart_count"`
	Transfer     bool     `json:"transfer"`
	Members      []struct {
		Pid   int    `json:"pid"`
		NSpid int    `json:"nspid"`
		Comm  string `json:"comm"`
	} `json:"members"`
	Inherited []int  `json:"inherited"`
	FMRI      string `json:"fmri"`
	Aux       string `json:"aux"`
	Creator   struct {
		UID  int      `json:"uid"`
		Argv []string `json:"argv"`
	} `json:"creator"`
	Started string   `json:"started"`
	Command []string `json:"command"`
}

var statJSONFields = []string{"id", "type", "state", "holder", "events_queued", "informative", "fatal", "lifetime", "options", "restart", "restart_count", "transfer", "members", "inherited", "fmri", "aux", "creator", "started", "command"}

// statObjects reads ctstat -j: one JSON object per line, every documented
// field present.
func statObjects(t *testing.T, out string) map[int]statJSON {
	t.Helper()
	objs := map[int]statJSON{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var raw map[string]json.RawMessage
		if err := json.Unmarshal([]byte(l), &raw); err != nil {
			t.Fatalf("ctstat -j line is not a JSON object: %v\n%s", err, l)
		}
		for _, k := range statJSONFields {
			if _, ok := raw[k]; !ok {
				t.Fatalf("ctstat -j: field %q missing in %s", k, l)
			}
		}
		var o statJSON
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("ctstat -j: %v\n%s", err, l)
		}
		objs[o.ID] = o
	}
	return objs
}

// statContract starts ctrun on a shell script that writes its contract id
// to dir/name.ctid and its pid in the contract to dir/name.pid, then runs
// script; it returns the holder and the contract id once ctstat lists it.
func statContract(t *testing.T, user bool, env []string, dir, name, script string, opts ...string) (*exec.Cmd, int) {
	t.Helper()
	args := append(append([]string{}, opts...), "sh", "-c", statScript(dir, name, script))
	cmd, _, stderr := start(t, call{args: args, user: user, env: env})
	var id int
	eventually(t, 10*time.Second, "contract id in "+name+".ctid", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, name+".ctid"))
		if err == nil {
			id, err = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if err != nil && !alive(cmd.Process.Pid) {
			t.Fatalf("ctrun %q gave up before its command started: %s", args, stderr.String())
		}
		return err == nil && id > 0
	})
	eventually(t, 10*time.Second, "ctstat to list contract "+itoa(id), func() bool {
		r := runStat(t, user, env, "-i", itoa(id))
		_, ok := statRows(t, r.stdout)[id]
		return r.code == 0 && ok
	})
	return cmd, id
}

// The plain, -v and -j listings of a live contract: id, state, holder,
// terms, service name, aux, creator and members (host pid with the pid
// inside beside it); -i filters.
func TestCtstatListsContract(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, _ := statEnv(t, user)
		dir := sharedDir(t)
		cmd, id := statContract(t, user, env, dir, "a", "exec sleep 3", "-F", "svc:/test", "-A", "note", "-f", "core,hwerr", "-o", "pgrponly")
		nspid := readPidFile(t, filepath.Join(dir, "a.pid"))
		hostPid := hostPidOf(t, cmd.Process.Pid, nspid)
		_, other := statContract(t, user, env, dir, "b", "exec sleep 3")

		r := runStat(t, user, env)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("ctstat: exit %d, stderr %q", r.code, r.stderr)
		}
		rows := statRows(t, r.stdout)
		want := statRow{state: "owned", holder: itoa(cmd.Process.Pid)}
		if got := rows[id]; got.state != want.state || got.holder != want.holder {
			t.Fatalf("contract %d listed as %+v, want %+v:\n%s", id, got, want, r.stdout)
		}
		if _, ok := rows[other]; !ok {
			t.Fatalf("second contract %d not listed:\n%s", other, r.stdout)
		}

		// -i: only the contracts asked for.
		r = runStat(t, user, env, "-i", itoa(id))
		if rows := statRows(t, r.stdout); len(rows) != 1 || rows[id].state != "owned" {
			t.Fatalf("ctstat -i %d:\n%s", id, r.stdout)
		}
		r = runStat(t, user, env, "-i", itoa(id)+","+itoa(other))
		if rows := statRows(t, r.stdout); len(rows) != 2 {
			t.Fatalf("ctstat -i %d,%d:\n%s", id, other, r.stdout)
		}

		// -v: the terms and the rest, under the contract's line.
		r = runStat(t, user, env, "-v", "-i", itoa(id))
		if r.code != 0 {
			t.Fatalf("ctstat -v: exit %d: %s", r.code, r.stderr)
		}
		uid := "0"
		if user {
			uid = itoa(nobody)
		}
		kv := statDetails(t, r.stdout, id)
		for k, v := range map[string]string{
			"informative event set": "core",
			"fatal event set":       "core hwerr",
			"lifetime":              "contract",
			"parameter set":         "pgrponly",
			"restart count":         "none",
			"member processes":      itoa(hostPid) + " (" + itoa(nspid) + ")",
			"inherited contracts":   "none",
			"service fmri":          "svc:/test",
			"contract aux":          "note",
			"creator uid":           uid,
		} {
			if kv[k] != v {
				t.Errorf("ctstat -v %s: %q, want %q\n%s", k, kv[k], v, r.stdout)
			}
		}
		if c := kv["creator command"]; !strings.HasSuffix(c, "ctrun -F svc:/test -A note -f core,hwerr -o pgrponly sh -c '"+statScript(dir, "a", "exec sleep 3")+"'") {
			t.Errorf("ctstat -v creator command: %q", c)
		}
		if kv["start time"] == "" || kv["start time"] == "-" {
			t.Errorf("ctstat -v: no start time\n%s", r.stdout)
		}

		// -j: the same as JSON, every field.
		r = runStat(t, user, env, "-j", "-i", itoa(id))
		objs := statObjects(t, r.stdout)
		o, ok := objs[id]
		if !ok || len(objs) != 1 {
			t.Fatalf("ctstat -j -i %d:\n%s", id, r.stdout)
		}
		if o.Type != "process" || o.State != "owned" || o.Holder == nil || *o.Holder != cmd.Process.Pid ||
			strings.Join(o.Informative, ",") != "core" || strings.Join(o.Fatal, ",") != "core,hwerr" ||
			o.Lifetime != "contract" || strings.Join(o.Options, ",") != "pgrponly" || o.Restart ||
			o.FMRI != "svc:/test" || o.Aux != "note" || itoa(o.Creator.UID) != uid ||
			len(o.Inherited) != 0 || len(o.Command) != 3 || o.Command[0] != "sh" || o.Started == "" {
			t.Errorf("ctstat -j: %+v", o)
		}
		if len(o.Members) != 1 || o.Members[0].Pid != hostPid || o.Members[0].NSpid != nspid || o.Members[0].Comm != "sleep" {
			t.Errorf("ctstat -j members: %+v, want host pid %d, pid %d inside, sleep", o.Members, hostPid, nspid)
		}
	})
}

// statScript is the script statContract runs.
func statScript(dir, name, script string) string {
	return "echo $CTRUN_CTID > " + filepath.Join(dir, name+".ctid") + "; echo $$ > " + filepath.Join(dir, name+".pid") + "; " + script
}

// statQueued asks contract id's holder directly how many events it keeps
// queued for it (the watch socket protocol: "stat").
func statQueued(t *testing.T, stateDir string, id int) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, itoa(id)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Watch string `json:"watch"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.Watch == "" {
		t.Fatalf("record of contract %d names no watch socket (%v): %s", id, err, b)
	}
	c, err := net.DialTimeout("unix", rec.Watch, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("stat\n")); err != nil {
		t.Fatal(err)
	}
	var reply struct {
		Queued map[string]int `json:"queued"`
	}
	if err := json.NewDecoder(c).Decode(&reply); err != nil {
		t.Fatalf("holder's answer to stat: %v", err)
	}
	return reply.Queued[itoa(id)]
}

// EVENTS is what the holder keeps queued for the contract, asked on its
// watch socket.
func TestCtstatEventsQueued(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, stateDir := statEnv(t, user)
		dir := sharedDir(t)
		_, id := statContract(t, user, env, dir, "a", "/bin/true; /bin/true; exec sleep 3", "-i", "exit")
		var last result
		deadline := time.Now().Add(5 * time.Second)
		for {
			last = runStat(t, user, env, "-i", itoa(id))
			if statRows(t, last.stdout)[id].events >= 2 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no exit events queued for contract %d after 5s:\n%s%s", id, last.stdout, last.stderr)
			}
			time.Sleep(20 * time.Millisecond)
		}
		r := runStat(t, user, env, "-j", "-i", itoa(id))
		n := statObjects(t, r.stdout)[id].EventsQueued
		if direct := statQueued(t, stateDir, id); n != direct || n < 2 {
			t.Fatalf("ctstat -j: events_queued %d, the holder says %d", n, direct)
		}
	})
}

// A user sees their own contracts only; root sees everyone's.
func TestCtstatUsers(t *testing.T) {
	requireRoot(t)
	clean(t)
	dir := sharedDir(t)
	userEnv, _ := statEnv(t, true)
	_, rootID := statContract(t, false, nil, dir, "root", "exec sleep 3")
	_, userID := statContract(t, true, userEnv, dir, "user", "exec sleep 3")

	r := runStat(t, true, userEnv)
	rows := statRows(t, r.stdout)
	if _, ok := rows[rootID]; ok {
		t.Fatalf("the user sees root's contract %d:\n%s", rootID, r.stdout)
	}
	if rows[userID].state != "owned" {
		t.Fatalf("the user does not see their contract %d:\n%s", userID, r.stdout)
	}
	r = runStat(t, true, userEnv, "-j")
	if _, ok := statObjects(t, r.stdout)[rootID]; ok {
		t.Fatalf("the user sees root's contract %d with -j", rootID)
	}
	r = runStat(t, false, nil, "-v")
	rows = statRows(t, r.stdout)
	if rows[rootID].state != "owned" || rows[userID].state != "owned" {
		t.Fatalf("root does not see both contracts %d and %d:\n%s", rootID, userID, r.stdout)
	}
	if kv := statDetails(t, r.stdout, userID); kv["creator uid"] != itoa(nobody) || kv["member processes"] == "none" {
		t.Fatalf("root's view of the user's contract: %v", kv)
	}
}

// A contract whose holder was killed is orphaned, held by no one.
func TestCtstatOrphaned(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, stateDir := statEnv(t, user)
		dir := sharedDir(t)
		cmd, id := statContract(t, user, env, dir, "a", "exec >/dev/null 2>&1; exec sleep 2")
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Process.Wait()
		// A holder killed by SIGKILL leaves its watch socket behind (a
		// holder bug, also seen by TestHolderKilled): not ctstat's doing.
		stale := filepath.Join(stateDir, "holder-"+itoa(cmd.Process.Pid)+".sock")
		t.Cleanup(func() {
			if os.Remove(stale) == nil {
				t.Logf("removed the killed holder's watch socket %s", stale)
			}
		})
		r := runStat(t, user, env, "-i", itoa(id))
		if got := statRows(t, r.stdout)[id]; got.state != "orphaned" || got.holder != "-" || got.events != 0 {
			t.Fatalf("contract %d after its holder's death: %+v\n%s", id, got, r.stdout)
		}
		r = runStat(t, user, env, "-j", "-i", itoa(id))
		if o := statObjects(t, r.stdout)[id]; o.State != "orphaned" || o.Holder != nil {
			t.Fatalf("ctstat -j: orphaned contract %+v", o)
		}
		eventually(t, 10*time.Second, "the orphaned contract to end", func() bool {
			_, ok := statRows(t, runStat(t, user, env, "-i", itoa(id)).stdout)[id]
			return !ok
		})
	})
}

// statFile writes a file into the state directory, owned as the
// directory is, and removes it at the end of the test.
func statFile(t *testing.T, stateDir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(stateDir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	statChown(t, stateDir, p)
	t.Cleanup(func() { os.Remove(p) })
	return p
}

// statChown gives path (not followed) to the owner of dir.
func statChown(t *testing.T, dir, path string) {
	t.Helper()
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := st.Sys().(*syscall.Stat_t)
	if err := os.Lchown(path, int(s.Uid), int(s.Gid)); err != nil {
		t.Fatal(err)
	}
}

// statRecordAs is contract id's record (read from the state directory),
// rewritten to name contract newID (a pid that is not running): a stale
// record, as a crash would leave.
func statRecordAs(t *testing.T, stateDir string, id, newID int) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, itoa(id)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	rec["id"] = newID
	rec["init"].(map[string]any)["pid"] = newID
	delete(rec, "cgroups") // the live contract's: never to be touched
	out, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// deadPid is the pid of a process that has exited.
func deadPid(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A truncated record and symlinks in the state directory are reported,
// one warning each, and never followed; the other contracts are listed
// and ctstat exits 1.
func TestCtstatBadRecords(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, stateDir := statEnv(t, user)
		dir := sharedDir(t)
		_, id := statContract(t, user, env, dir, "a", "exec sleep 3")

		truncated := 999999001
		full := statRecordAs(t, stateDir, id, truncated)
		statFile(t, stateDir, itoa(truncated)+".json", full[:len(full)/2])
		// A symlink to what would be a valid record of a dead contract
		// (listed with -a, if followed), and one to a file of root's.
		linked := 999999002
		target := filepath.Join(dir, "target.json")
		if err := os.WriteFile(target, statRecordAs(t, stateDir, id, linked), 0o644); err != nil {
			t.Fatal(err)
		}
		statChown(t, stateDir, target)
		for _, l := range []struct {
			id     int
			target string
		}{{linked, target}, {999999003, "/etc/passwd"}} {
			p := filepath.Join(stateDir, itoa(l.id)+".json")
			if err := os.Symlink(l.target, p); err != nil {
				t.Fatal(err)
			}
			statChown(t, stateDir, p)
			t.Cleanup(func() { os.Remove(p) })
		}

		for _, args := range [][]string{{"-a"}, {"-a", "-v"}, {"-a", "-j"}} {
			r := runStat(t, user, env, args...)
			if r.code != 1 {
				t.Fatalf("ctstat %q: exit %d, want 1\n%s%s", args, r.code, r.stdout, r.stderr)
			}
			warnings := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if len(warnings) != 3 {
				t.Fatalf("ctstat %q: want one warning per bad record (3):\n%s", args, r.stderr)
			}
			for _, want := range []string{itoa(truncated) + ".json is damaged", itoa(linked) + ".json is a symlink", "999999003.json is a symlink"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("ctstat %q: no warning %q:\n%s", args, want, r.stderr)
				}
			}
			var ids []int
			if len(args) > 1 && args[1] == "-j" {
				for k := range statObjects(t, r.stdout) {
					ids = append(ids, k)
				}
			} else {
				for k := range statRows(t, r.stdout) {
					ids = append(ids, k)
				}
			}
			found := false
			for _, k := range ids {
				switch k {
				case id:
					found = true
				case truncated, linked, 999999003:
					t.Fatalf("ctstat %q lists bad record %d:\n%s", args, k, r.stdout)
				}
			}
			if !found {
				t.Fatalf("ctstat %q does not list the good contract %d:\n%s", args, id, r.stdout)
			}
		}
		if _, err := os.Stat(target); err != nil {
			t.Fatalf("the symlink's target: %v", err)
		}
	})
}

// Dead records are collected: silently by default, shown once as dead
// with -a.
func TestCtstatDead(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, stateDir := statEnv(t, user)
		dir := sharedDir(t)
		_, id := statContract(t, user, env, dir, "a", "exec sleep 3")

		dead := deadPid(t)
		stale := statFile(t, stateDir, itoa(dead)+".json", statRecordAs(t, stateDir, id, dead))
		r := runStat(t, user, env)
		if _, ok := statRows(t, r.stdout)[dead]; ok || r.code != 0 {
			t.Fatalf("ctstat without -a shows dead contract %d (exit %d):\n%s%s", dead, r.code, r.stdout, r.stderr)
		}
		if _, err := os.Lstat(stale); err == nil {
			t.Fatal("the dead record was not collected")
		}

		statFile(t, stateDir, itoa(dead)+".json", statRecordAs(t, stateDir, id, dead))
		r = runStat(t, user, env, "-a", "-j")
		if o, ok := statObjects(t, r.stdout)[dead]; !ok || o.State != "dead" || len(o.Members) != 0 || r.code != 0 {
			t.Fatalf("ctstat -a -j: dead contract %d: %+v (exit %d)\n%s%s", dead, o, r.code, r.stdout, r.stderr)
		}
		if _, err := os.Lstat(stale); err == nil {
			t.Fatal("the dead record was not collected")
		}
		r = runStat(t, user, env, "-a")
		rows := statRows(t, r.stdout)
		if _, ok := rows[dead]; ok {
			t.Fatalf("dead contract %d shown twice:\n%s", dead, r.stdout)
		}
		if rows[id].state != "owned" {
			t.Fatalf("live contract %d:\n%s", id, r.stdout)
		}

		statFile(t, stateDir, itoa(dead)+".json", statRecordAs(t, stateDir, id, dead))
		r = runStat(t, user, env, "-a")
		if got := statRows(t, r.stdout)[dead]; got.state != "dead" {
			t.Fatalf("ctstat -a: dead contract %d: %+v\n%s", dead, got, r.stdout)
		}
	})
}

// Usage errors: exit 2, one line saying why, then the usage line.
func TestCtstatUsage(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, _ := statEnv(t, user)
		for _, args := range [][]string{
			{"-i", "x"}, {"-i", "0"}, {"-i", "-3"}, {"-i", "1,,y"}, {"-i", ""}, {"-i"},
			{"-q"}, {"0"}, {"1", "0"}, {"1", "2", "3"}, {"x"}, {"1", "-v"},
		} {
			r := runStat(t, user, env, args...)
			lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
			if r.code != 2 || len(lines) != 2 || !strings.HasPrefix(lines[0], "ctstat: ") || !strings.HasPrefix(lines[1], "usage: ctstat") || r.stdout != "" {
				t.Errorf("ctstat %q: exit %d, stdout %q, stderr:\n%s", args, r.code, r.stdout, r.stderr)
			}
		}
		r := runStat(t, user, env, "-i", "1 2,3")
		if r.code != 0 {
			t.Errorf("ctstat -i '1 2,3': exit %d: %s", r.code, r.stderr)
		}
	})
}

// interval count: count listings, interval seconds apart.
func TestCtstatInterval(t *testing.T) {
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		env, _ := statEnv(t, user)
		r := runStat(t, user, env, "1", "2")
		if r.code != 0 || strings.Count(r.stdout, statHeader+"\n") != 2 {
			t.Fatalf("ctstat 1 2: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if r.elapsed < 900*time.Millisecond || r.elapsed > 5*time.Second {
			t.Fatalf("ctstat 1 2 took %v", r.elapsed)
		}
	})
}

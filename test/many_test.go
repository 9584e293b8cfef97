package test

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// Many at once, in short: ten holders restarting a crashing command
// concurrently for 20 s while holders are SIGKILLed at random (some while
// they make their contract), as root and as uid 65534. The soak's many
// scenario (hack/soak, make soak-many: 100 holders for 10 minutes) checks
// each ctstat listing taken meanwhile against the process table (nothing
// listed twice, nothing missing, no warning), that every contract left
// once all holders are killed is listed, orphaned, and that after ctkill
// of each and one ctstat -a nothing is left; it exits 1 if any check
// failed. The harness runs as root in both cases: it reads every
// process's environment and the whole cgroup file system.
func TestManyAtOnce(t *testing.T) {
	requireRoot(t)
	soak := filepath.Join(binDir, "soak")
	if b, err := exec.Command("go", "build", "-o", soak, "../hack/soak").CombinedOutput(); err != nil {
		t.Fatalf("build hack/soak: %v\n%s", err, b)
	}
	asRootAndUser(t, func(t *testing.T, user bool) {
		clean(t)
		uid := -1
		if user {
			uid = nobody
		}
		cmd := exec.Command(soak, "-bin", binDir, "-run", "many", "-contracts", "10", "-duration", "20s",
			"-kill-every", "500ms", "-uid", strconv.Itoa(uid))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("soak -run many: %v\n%s", err, out)
		}
		t.Logf("%s", out)
	})
}

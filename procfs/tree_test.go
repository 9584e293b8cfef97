package procfs

import (
	"os"
	"os/exec"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestDescendants(t *testing.T) {
	// 1 ── 10 ── 11 ── 12
	//  │     └── 13 (sub-init) ── 14
	//  └── 20
	tr := Tree{
		children: map[int][]int{1: {10, 20}, 10: {11, 13}, 11: {12}, 13: {14}},
		comm:     map[int]string{10: "sh", 11: "sh", 12: "sleep", 13: "ctrun-init", 14: "sleep", 20: "other"},
	}
	subInit := func(_ int, comm string) bool { return comm == "ctrun-init" }
	for _, tc := range []struct {
		name  string
		root  int
		prune func(int, string) bool
		want  []int
	}{
		{"whole subtree", 10, nil, []int{11, 12, 13, 14}},
		{"a sub-contract left out", 10, subInit, []int{11, 12}},
		{"a leaf", 12, nil, nil},
		{"unknown root", 99, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tr.Descendants(tc.root, tc.prune); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Descendants(%d) = %v, want %v", tc.root, got, tc.want)
			}
		})
	}
}

func TestTreeOfThisProcess(t *testing.T) {
	// A real child and grandchild of the test process.
	cmd := exec.Command("sh", "-c", "sleep 5 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var buf [32]byte
	n, _ := out.Read(buf[:])
	grandchild, err := strconv.Atoi(string(buf[:n-1]))
	if err != nil {
		t.Fatalf("read the grandchild's pid: %q", buf[:n])
	}
	defer syscallKill(grandchild)
	// The grandchild is forked before it execs sleep.
	for i := 0; i < 500; i++ {
		if c, _ := Default.Comm(grandchild); c == "sleep" {
			break
		}
		time.Sleep(time.Millisecond)
	}
	tr, err := Default.Tree()
	if err != nil {
		t.Fatal(err)
	}
	got := tr.Descendants(os.Getpid(), nil)
	want := map[int]bool{cmd.Process.Pid: true, grandchild: true}
	for _, pid := range got {
		delete(want, pid)
	}
	if len(want) > 0 {
		t.Fatalf("descendants %v lack %v", got, want)
	}
	if m, ok := Default.Descendant(os.Getpid(), grandchild, nil, Options{}); !ok || m.Pid != grandchild {
		t.Fatalf("Descendant(self, grandchild) = %+v, %v", m, ok)
	}
	if _, ok := Default.Descendant(cmd.Process.Pid, os.Getpid(), nil, Options{}); ok {
		t.Fatal("the test process taken for its child's descendant")
	}
	prune := func(pid int, _ string) bool { return pid == cmd.Process.Pid }
	if _, ok := Default.Descendant(os.Getpid(), grandchild, prune, Options{}); ok {
		t.Fatal("a descendant below a pruned process was taken")
	}
	ms := Default.DescendantMembers(tr, cmd.Process.Pid, nil, Options{Live: true})
	if len(ms) != 1 || ms[0].Pid != grandchild || ms[0].Comm != "sleep" {
		t.Fatalf("members below the shell = %+v, want the sleep %d", ms, grandchild)
	}
}

func syscallKill(pid int) { p, _ := os.FindProcess(pid); p.Kill() }

func TestChildrenOfThisProcess(t *testing.T) {
	cmd := exec.Command("sleep", "5")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	kids, err := Default.Children(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, k := range kids {
		found = found || k == cmd.Process.Pid
	}
	if !found {
		t.Fatalf("Children(self) = %v, lacks the child %d", kids, cmd.Process.Pid)
	}
	if _, err := Default.Children(1 << 30); err == nil {
		t.Fatal("Children of no process: no error")
	}
}

// A thread's children file is read whole, however long: a reaper's may
// list thousands, more than any one small buffer holds.
func TestTaskChildren(t *testing.T) {
	fs := FS(t.TempDir())
	var want []int
	var b strings.Builder
	for pid := 100000; pid < 101500; pid++ {
		want = append(want, pid)
		b.WriteString(strconv.Itoa(pid) + " ")
	}
	for _, tc := range []struct {
		name    string
		content string
		want    []int
		err     bool
	}{
		{"none", "", nil, false},
		{"two", "12 13 ", []int{12, 13}, false},
		{"longer than a page", b.String(), want, false},
		{"not a pid", "12 x ", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mkdir(t, string(fs)+"/7/task/7")
			write(t, string(fs)+"/7/task/7/children", tc.content)
			var s Scratch
			got, err := fs.TaskChildren(7, 7, &s)
			if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("TaskChildren = %v, %v; want %v (error %t)", got, err, tc.want, tc.err)
			}
		})
	}
	if _, err := fs.TaskChildren(8, 8, new(Scratch)); err == nil {
		t.Fatal("TaskChildren of no process: no error")
	}
}

package runtime

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestNamespaceRefusalAsRoot(t *testing.T) {
	// As root, the capability decides before anything is tried: no
	// process is started for these.
	for _, tc := range []struct {
		name, status, want string
	}{
		{"CAP_SYS_ADMIN, no filter", "CapEff:\t000001ffffffffff\nSeccomp:\t0\n", ""},
		{"no CAP_SYS_ADMIN (a container's root)", "CapEff:\t00000000a80425fb\nSeccomp:\t2\n", "lacks CAP_SYS_ADMIN"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := namespaceRefusal(true, []byte(tc.status))
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Fatalf("namespaceRefusal = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRefusalWords(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("fork/exec: %w", unix.EPERM), "seccomp filter refuses namespaces"},
		{unix.ENOSYS, "seccomp filter"},
		{unix.ENOSPC, "limit of namespaces"},
		{errors.New("odd"), "making namespaces failed: odd"},
	} {
		if got := refusal(tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("refusal(%v) = %q, want it to say %q", tc.err, got, tc.want)
		}
	}
}

func TestExplainLibcontainer(t *testing.T) {
	for _, tc := range []struct {
		err     error
		refused string // namespacesRefused
		explain string // explain, when not refused
	}{
		{errors.New("nsexec-1[42]: failed to unshare remaining namespaces: Operation not permitted"), "refuses namespaces", ""},
		{fmt.Errorf("clone: %w", unix.ENOSPC), "limit of namespaces", ""},
		{errors.New("mkdir /sys/fs/cgroup/cpuset/ctrun-1: read-only file system"), "", "cgroup file system is read-only"},
		{errors.New("error mounting \"proc\" to rootfs at \"/proc\": mount proc:/proc (via /proc/self/fd/7), flags: 0xe: operation not permitted"), "mounting in a new namespace is refused", ""},
		{fmt.Errorf("pivot_root .: %w", unix.EPERM), "mounting in a new namespace is refused", ""},
		{errors.New("something else"), "", "something else"},
	} {
		if got := namespacesRefused(tc.err); (tc.refused == "") != (got == "") || !strings.Contains(got, tc.refused) {
			t.Errorf("namespacesRefused(%v) = %q, want %q", tc.err, got, tc.refused)
		}
		if tc.refused == "" {
			got := explain(tc.err).Error()
			if !strings.Contains(got, tc.explain) || strings.Contains(got, "nsexec") {
				t.Errorf("explain(%v) = %q, want %q", tc.err, got, tc.explain)
			}
		}
	}
}

func TestProbeOnThisMachine(t *testing.T) {
	e := Probe()
	if e.Namespaces == (e.NoNamespaces != "") {
		t.Fatalf("Namespaces %v but NoNamespaces %q", e.Namespaces, e.NoNamespaces)
	}
	if !e.Root && e.Cgroup != "none" {
		t.Fatalf("unprivileged, cgroup %q", e.Cgroup)
	}
}

func TestKernelAtLeast(t *testing.T) {
	if !kernelAtLeast(2, 6) || kernelAtLeast(99, 0) {
		t.Fatal("kernelAtLeast does not read this kernel's release")
	}
}

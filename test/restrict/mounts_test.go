package main

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// A host like the test machine's: v1 hierarchies on a tmpfs, the unified
// one at unified/, and a path with a space.
const hostMountinfo = `22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/vda rw
23 22 0:22 / /sys rw,nosuid,nodev,noexec,relatime shared:2 - sysfs sysfs rw
30 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:3 - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,nosuid,nodev,noexec,relatime shared:4 - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:5 - cgroup cgroup rw,memory
33 30 0:30 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:6 - cgroup2 cgroup2 rw
34 22 0:31 / /sys/fs/cgroupies rw,relatime - tmpfs tmpfs rw
35 22 0:32 / /mnt/with\040space rw,relatime - tmpfs tmpfs rw
`

func points(ms []mount) string {
	var p []string
	for _, m := range ms {
		p = append(p, m.point)
	}
	return strings.Join(p, " ")
}

func TestParseMountinfo(t *testing.T) {
	ms, err := parseMountinfo(strings.NewReader(hostMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 8 {
		t.Fatalf("%d mounts, want 8", len(ms))
	}
	want := mount{id: 31, parent: 30, point: "/sys/fs/cgroup/cpu", options: "rw,nosuid,nodev,noexec,relatime", fstype: "cgroup"}
	if ms[3] != want {
		t.Fatalf("got %+v, want %+v", ms[3], want)
	}
	if ms[7].point != "/mnt/with space" {
		t.Fatalf("escaped point read as %q", ms[7].point)
	}
	// Optional fields of any number before the separator.
	ms, err = parseMountinfo(strings.NewReader("40 22 0:40 / /x rw shared:7 master:2 propagate_from:1 - tmpfs none rw\n"))
	if err != nil || len(ms) != 1 || ms[0].fstype != "tmpfs" {
		t.Fatalf("with optional fields: %+v, %v", ms, err)
	}
	for _, bad := range []string{"40 22 0:40 / /x rw tmpfs none rw\n", "x 22 0:40 / /x rw - tmpfs none rw\n", "40 22 0:40 / /x rw -\n"} {
		if _, err := parseMountinfo(strings.NewReader(bad)); err == nil {
			t.Errorf("read %q without an error", bad)
		}
	}
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`:    "/a b",
		`/t\011\012`: "/t\t\n",
		`/b\134c`:    `/b\c`,
		`/plain`:     "/plain",
		`/end\04`:    `/end\04`,
		`/not\09x`:   `/not\09x`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

// visibleBelow finds every hierarchy below /sys/fs/cgroup, not a sibling
// that only shares the prefix, and skips what a mount stacked on top hides.
func TestVisibleBelow(t *testing.T) {
	ms, err := parseMountinfo(strings.NewReader(hostMountinfo))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := points(visibleBelow(ms, cgroupRoot)), "/sys/fs/cgroup /sys/fs/cgroup/cpu /sys/fs/cgroup/memory /sys/fs/cgroup/unified"; got != want {
		t.Fatalf("host: %q, want %q", got, want)
	}
	// -cgroup2: the unified hierarchy stacked on the tmpfs hides it and
	// every v1 hierarchy on it.
	v2, err := parseMountinfo(strings.NewReader(hostMountinfo + "50 30 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec - cgroup2 none rw\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := points(visibleBelow(v2, cgroupRoot)); got != "/sys/fs/cgroup" {
		t.Fatalf("under cgroup2: %q, want only the cgroup2 mount", got)
	}
	if got := visibleBelow(v2, cgroupRoot); got[0].id != 50 {
		t.Fatalf("under cgroup2 the visible mount is %+v, want id 50", got[0])
	}
	// A mount stacked on a hierarchy hides that one only.
	stacked, _ := parseMountinfo(strings.NewReader(hostMountinfo + "51 31 0:41 / /sys/fs/cgroup/cpu rw - tmpfs none rw\n"))
	if got, want := points(visibleBelow(stacked, cgroupRoot)), "/sys/fs/cgroup /sys/fs/cgroup/memory /sys/fs/cgroup/unified /sys/fs/cgroup/cpu"; got != want {
		t.Fatalf("stacked: %q, want %q", got, want)
	}
	if got := visibleBelow(ms, "/nowhere"); len(got) != 0 {
		t.Fatalf("below /nowhere: %v", got)
	}
}

func TestPerMountFlags(t *testing.T) {
	if got, want := perMountFlags("rw,nosuid,nodev,noexec,relatime"), uintptr(unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC|unix.MS_RELATIME); got != want {
		t.Fatalf("got %#x, want %#x", got, want)
	}
	if got := perMountFlags("ro,noatime,nodiratime"); got != unix.MS_NOATIME|unix.MS_NODIRATIME {
		t.Fatalf("got %#x", got)
	}
	if got := perMountFlags("rw"); got != 0 {
		t.Fatalf("rw alone gave %#x", got)
	}
}

package main

import (
	"os/exec"
	"strings"
	"testing"
)

const head = "0db11860d6e1c6c2a4e0b5f1f1f3a9c3e9d0a1b2"

func TestDebian(t *testing.T) {
	for _, tc := range []struct {
		describe, commit, date string
		want                   string // "" when an error is wanted
	}{
		{"0db1186", head, "20261125", "0.0~git20261125.0db1186"},
		{"0db1186-dirty", head, "20261125", "0.0~git20261125.0db1186.dirty"},
		{"v1.2.0", head, "20261125", "1.2.0"},
		{"1.2", head, "20261125", "1.2"},
		{"v1.2.0-dirty", head, "20261125", "1.2.0+0.dirty"},
		{"v1.2.0-rc1", head, "20261125", "1.2.0~rc1"},
		{"v1.2.0-3-g0db1186", head, "20261125", "1.2.0+3.g0db1186"},
		{"v1.2.0-3-g0db1186-dirty", head, "20261125", "1.2.0+3.g0db1186.dirty"},
		{"v1.2.0-rc1-3-g0db1186", head, "20261125", "1.2.0~rc1+3.g0db1186"},
		{"release-3-g0db1186", head, "20261125", "0.0~git20261125.0db1186"}, // not a version tag
		{"2024", head, "20261125", "2024"},                                  // a tag, though all hex digits
		{"", head, "20261125", ""},
		{"unknown", "", "", ""},
		{"0db1186", head, "", ""}, // no date to order it by
		{"release", head, "20261125", ""},
		{"v1.2_0", head, "20261125", ""},
	} {
		got, err := debian(tc.describe, tc.commit, tc.date)
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("debian(%q, %q) = %q, want an error", tc.describe, tc.date, got)
		case tc.want != "" && (err != nil || got != tc.want):
			t.Errorf("debian(%q, %q) = %q, %v; want %q", tc.describe, tc.date, got, err, tc.want)
		}
	}
}

// The versions sort as the history goes, by dpkg's own comparison.
func TestOrder(t *testing.T) {
	if _, err := exec.LookPath("dpkg"); err != nil {
		t.Skip("no dpkg to compare versions with")
	}
	order := []string{"0.0~git20261125.0db1186", "0.0~git20261125.0db1186.dirty", "0.0~git20261126.1abc234",
		"1.2.0~rc1", "1.2.0~rc1+3.g0db1186", "1.2.0", "1.2.0+0.dirty", "1.2.0+3.g0db1186", "1.2.0+3.g0db1186.dirty", "1.2.0+12.gabcdef0", "1.2.1"}
	for i := 1; i < len(order); i++ {
		if err := exec.Command("dpkg", "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
			t.Errorf("dpkg: not %s < %s (%v)", order[i-1], order[i], err)
		}
	}
	for _, v := range order {
		if out, err := exec.Command("dpkg", "--validate-version", v).CombinedOutput(); err != nil {
			t.Errorf("dpkg --validate-version %s: %v %s", v, err, strings.TrimSpace(string(out)))
		}
	}
}

// Command debversion turns what `git describe --tags --always --dirty`
// says into a Debian version for `make deb`: git's own forms (a bare
// hash, a hash suffixed -dirty, "v1.2.0-3-gabcdef0") are not valid Debian
// versions, or would not sort as they should.
//
//	debversion -commit FULLHASH -date YYYYMMDD DESCRIBE
//
// The forms, in the order a project's history gives them:
//
//	0db1186              (no tag yet)  0.0~git20261125.0db1186
//	v1.2.0-rc1           (a pre-release tag) 1.2.0~rc1
//	v1.2.0               (at a tag)    1.2.0
//	v1.2.0-3-gabcdef0    (3 commits on) 1.2.0+3.gabcdef0
//
// and -dirty (uncommitted changes) adds ".dirty" (after a "+" or "~git"
// part) or "+0.dirty" (at a tag). A tag that is no version (it does not start with a
// digit, after an optional "v") is treated as no tag. The versions are
// native (no Debian revision): the package is built from this tree.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
)

func main() {
	commit := flag.String("commit", "", "the full hash of HEAD (git rev-parse HEAD)")
	date := flag.String("date", "", "the commit's date, YYYYMMDD")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: debversion -commit FULLHASH -date YYYYMMDD DESCRIBE")
		os.Exit(2)
	}
	v, err := debian(flag.Arg(0), *commit, *date)
	if err != nil {
		fmt.Fprintln(os.Stderr, "debversion:", err)
		os.Exit(1)
	}
	fmt.Println(v)
}

var (
	// after is git describe's "TAG-N-gHASH" beyond a tag.
	after = regexp.MustCompile(`^(.+)-([0-9]+)-g([0-9a-f]+)$`)
	// tagVersion is a tag that names a version: v1.2.0, 1.2, 2.0-rc1.
	tagVersion = regexp.MustCompile(`^v?([0-9][A-Za-z0-9.+~-]*)$`)
	// native is a valid Debian version without a revision (deb-version(7):
	// no hyphen then), as dpkg and lintian read it.
	native    = regexp.MustCompile(`^[0-9][A-Za-z0-9.+~]*$`)
	hexDigits = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
	day       = regexp.MustCompile(`^[0-9]{8}$`)
)

// debian maps git describe's output to a Debian version. commit (HEAD's
// full hash) tells a bare hash from a tag that happens to look like one;
// date (the commit's, YYYYMMDD) orders untagged builds.
func debian(describe, commit, date string) (string, error) {
	base, dirty := strings.CutSuffix(describe, "-dirty")
	var v string
	switch m := after.FindStringSubmatch(base); {
	case base == "" || base == "unknown":
		return "", errors.New("no version: not a git work tree; say which with make deb VERSION=1.2.0")
	case hexDigits.MatchString(base) && strings.HasPrefix(commit, base):
		v = untagged(base, date)
	case m != nil:
		if tv := tagVersion.FindStringSubmatch(m[1]); tv != nil {
			v = strings.ReplaceAll(tv[1], "-", "~") + "+" + m[2] + ".g" + m[3]
		} else {
			v = untagged(m[3], date)
		}
	default:
		tv := tagVersion.FindStringSubmatch(base)
		if tv == nil {
			return "", fmt.Errorf("%q is neither a version tag nor a commit", describe)
		}
		v = strings.ReplaceAll(tv[1], "-", "~")
	}
	if v == "" {
		return "", fmt.Errorf("%q: the commit's date (-date YYYYMMDD) is needed for a version without a tag", describe)
	}
	if dirty {
		if strings.Contains(v, "+") || strings.Contains(v, "~git") {
			v += ".dirty"
		} else {
			v += "+0.dirty" // 0 commits on: below "+3.gHASH"
		}
	}
	if !native.MatchString(v) {
		return "", fmt.Errorf("%q makes %q, not a valid Debian version", describe, v)
	}
	return v, nil
}

// untagged is the version of a commit before any version tag: below every
// release (~), ordered by the commit's date.
func untagged(hash, date string) string {
	if !day.MatchString(date) {
		return ""
	}
	return "0.0~git" + date + "." + hash
}

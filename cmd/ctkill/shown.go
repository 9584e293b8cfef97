package main

import (
	"strconv"
	"strings"
	"unicode"
)

// shown is a word of the command line as an error message quotes it: as
// typed when it is printable, else Go-quoted with escapes, so that the
// message stays on one line whatever the word holds.
func shown(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) || r == unicode.ReplacementChar }) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

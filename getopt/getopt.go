// Package getopt splits a command line the way POSIX getopt(3) does, for
// every ctrun command: grouped options, attached or separate arguments,
// "--", and parsing that stops at the first operand. A usage error is one
// type, so each command can give its documented exit status for it.
package getopt

import (
	"fmt"
	"strconv"
	"strings"
)

// Option is one option as getopt(3) returns it.
type Option struct {
	Letter byte
	Arg    string
}

// UsageError is a command line that cannot be run: exit 125 with the
// message and the usage line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a UsageError.
func Usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

// Parse splits args (without the program name) like POSIX getopt(3) with
// the given optstring ("a:b" = -a takes an argument, -b does not): options
// may be grouped (-tr1) and their arguments attached (-fcore) or separate
// (-f core); "--" ends the options; parsing stops at the first operand, so
// the command's own options are never taken for ours. It returns the
// options in order and the operands.
func Parse(args []string, optstring string) ([]Option, []string, error) {
	takes := letters(optstring)
	var opts []Option
	i := 0
	for i < len(args) {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break // "-" alone is an operand, as in getopt(3)
		}
		if a[1] == '-' {
			// A long option none of our letters can spell: name it whole
			// (not "--"), without any "=value".
			name, _, _ := strings.Cut(a[2:], "=")
			return nil, nil, Usagef("unknown option --%s", name)
		}
		i++
		for j := 1; j < len(a); j++ {
			c := a[j]
			arg, known := takes[c]
			if !known || c == ':' {
				return nil, nil, Usagef("unknown option %s", letterName(c))
			}
			if !arg {
				opts = append(opts, Option{Letter: c})
				continue
			}
			if j+1 < len(a) {
				opts = append(opts, Option{Letter: c, Arg: a[j+1:]})
			} else {
				if i >= len(args) {
					return nil, nil, Usagef("option %s needs an argument", letterName(c))
				}
				opts = append(opts, Option{Letter: c, Arg: args[i]})
				i++
			}
			break
		}
	}
	return opts, args[i:], nil
}

// letterName is how a usage error names option letter c: "-x", or quoted
// with escapes when c is no printable ASCII ("-\n"), so that the message
// stays one line whatever was typed.
func letterName(c byte) string {
	name := string([]byte{'-', c})
	if c < ' ' || c > '~' {
		return strconv.Quote(name)
	}
	return name
}

// letters reads an optstring: each letter, and whether it takes an argument.
func letters(optstring string) map[byte]bool {
	takes := map[byte]bool{}
	for i := 0; i < len(optstring); i++ {
		c := optstring[i]
		arg := i+1 < len(optstring) && optstring[i+1] == ':'
		takes[c] = arg
		if arg {
			i++
		}
	}
	return takes
}

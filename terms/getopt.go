package terms

import "fmt"

// Option is one option as getopt(3) returns it.
type Option struct {
	Letter byte
	Arg    string
}

// UsageError is a command line that cannot be run: exit 125 with the
// message and the usage line.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, a ...any) error { return &UsageError{Msg: fmt.Sprintf(format, a...)} }

// Getopt splits args (without the program name) like POSIX getopt(3) with
// the given optstring ("a:b" = -a takes an argument, -b does not): options
// may be grouped (-tr1) and their arguments attached (-fcore) or separate
// (-f core); "--" ends the options; parsing stops at the first operand, so
// the command's own options are never taken for ours. It returns the
// options in order and the operands.
func Getopt(args []string, optstring string) ([]Option, []string, error) {
	takes := map[byte]bool{}
	for i := 0; i < len(optstring); i++ {
		c := optstring[i]
		arg := i+1 < len(optstring) && optstring[i+1] == ':'
		takes[c] = arg
		if arg {
			i++
		}
	}
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
		i++
		for j := 1; j < len(a); j++ {
			c := a[j]
			arg, known := takes[c]
			if !known || c == ':' {
				return nil, nil, usagef("unknown option -%c", c)
			}
			if !arg {
				opts = append(opts, Option{Letter: c})
				continue
			}
			if j+1 < len(a) {
				opts = append(opts, Option{Letter: c, Arg: a[j+1:]})
			} else {
				if i >= len(args) {
					return nil, nil, usagef("option -%c needs an argument", c)
				}
				opts = append(opts, Option{Letter: c, Arg: args[i]})
				i++
			}
			break
		}
	}
	return opts, args[i:], nil
}

package main

import (
	"fmt"
	"strings"
)

// longOptions are the spelled-out forms of ctkill's letters (ctkill
// --random ID reads better in a CI script than ctkill -r ID).
var longOptions = map[string]byte{
	"signal":  's',
	"all":     'a',
	"pid":     'p',
	"random":  'r',
	"list":    'l',
	"numeric": 'n',
	"stop":    'S',
}

// shortForms rewrites the long options before the first operand (or "--")
// into their letters, "--signal=KILL" and "--signal KILL" alike, so that
// getopt sees only letters.
func shortForms(args []string) ([]string, error) {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return append(out, args[i:]...), nil
		}
		var letter byte
		attached := true
		if strings.HasPrefix(a, "--") {
			name, val, hasVal := strings.Cut(a[2:], "=")
			l, ok := longOptions[name]
			if !ok {
				return nil, fmt.Errorf("unknown option --%s", shown(name))
			}
			switch {
			case hasVal && !takesArg(l):
				return nil, fmt.Errorf("option --%s takes no argument", shown(name))
			case hasVal:
				a = "-" + string(l) + val
			default:
				a = "-" + string(l)
				if takesArg(l) {
					letter, attached = l, false
				}
			}
		} else {
			// A cluster of letters: the first that takes an argument
			// takes the rest, or else the next word.
			for j := 1; j < len(a); j++ {
				if takesArg(a[j]) {
					letter, attached = a[j], j+1 < len(a)
					break
				}
			}
		}
		out = append(out, a)
		if letter != 0 && !attached && i+1 < len(args) {
			i++
			out = append(out, args[i]) // the option's argument, as it is
		}
	}
	return out, nil
}

func takesArg(letter byte) bool { return letter == 's' || letter == 'p' }

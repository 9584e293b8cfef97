package getopt

// Long finds the first of the long options names ("help", "version") that
// stands where an option may, reading args (without the program name) as
// Parse does: before the first operand and "--", after other options and
// their arguments, never as an option's argument (in "-f --help", --help is
// -f's argument). It returns that name, or "" when none stands there, or
// when a usage error comes first: Parse reports it, as getopt(3) would in
// that order.
//
// Every command answers --help and --version this way, on top of getopt's
// letters: where they can stand depends on which letters take arguments,
// which only the optstring says.
func Long(args []string, optstring string, names ...string) string {
	takes := letters(optstring)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" || len(a) < 2 || a[0] != '-' {
			return "" // the options have ended
		}
		if a[1] == '-' {
			for _, n := range names {
				if a[2:] == n {
					return n
				}
			}
			return "" // an unknown option: Parse's error
		}
		for j := 1; j < len(a); j++ {
			arg, known := takes[a[j]]
			if !known || a[j] == ':' {
				return "" // Parse's error
			}
			if arg {
				if j+1 == len(a) {
					i++ // the next word is this option's argument
				}
				break
			}
		}
	}
	return ""
}

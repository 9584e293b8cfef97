package getopt

import "testing"

func TestLong(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"alone", []string{"--help"}, "help"},
		{"version", []string{"--version"}, "version"},
		{"the first one counts", []string{"--version", "--help"}, "version"},
		{"after a flag", []string{"-v", "--help"}, "help"},
		{"after grouped flags", []string{"-tv", "--version", "cmd"}, "version"},
		{"after a separate argument", []string{"-f", "core", "--help", "cmd"}, "help"},
		{"after an attached argument", []string{"-fcore", "--help"}, "help"},
		{"after an argument in a group", []string{"-tr", "1", "--help"}, "help"},
		{"an option's argument, not an option", []string{"-f", "--help", "cmd"}, ""},
		{"after the first operand: the command's", []string{"sh", "--help"}, ""},
		{"after an operand that follows options", []string{"-v", "sh", "--help"}, ""},
		{"after --", []string{"--", "--help"}, ""},
		{"after -, an operand", []string{"-", "--help"}, ""},
		{"an unknown letter comes first", []string{"-x", "--help"}, ""},
		{"an unknown long option comes first", []string{"--bogus", "--help"}, ""},
		{"with a value: not ours", []string{"--help=all"}, ""},
		{"a prefix is not the option", []string{"--hel"}, ""},
		{"not named", []string{"--usage"}, ""},
		{"none", []string{"-v", "cmd"}, ""},
		{"nothing", nil, ""},
	} {
		if got := Long(tc.args, testOptstring, "help", "version"); got != tc.want {
			t.Errorf("%s: Long(%q) = %q, want %q", tc.name, tc.args, got, tc.want)
		}
	}
}

package getopt

import (
	"errors"
	"reflect"
	"testing"
)

const testOptstring = "i:f:l:o:r:tvVF:A:a:"

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		opts     []Option
		operands []string
	}{
		{
			name:     "no arguments",
			args:     nil,
			opts:     nil,
			operands: []string{},
		},
		{
			name:     "grouped flags",
			args:     []string{"-tv", "cmd"},
			opts:     []Option{{Letter: 't'}, {Letter: 'v'}},
			operands: []string{"cmd"},
		},
		{
			name:     "grouped flag with attached argument",
			args:     []string{"-tr1", "cmd"},
			opts:     []Option{{Letter: 't'}, {Letter: 'r', Arg: "1"}},
			operands: []string{"cmd"},
		},
		{
			name:     "grouped flag with attached word argument",
			args:     []string{"-vfcore", "cmd"},
			opts:     []Option{{Letter: 'v'}, {Letter: 'f', Arg: "core"}},
			operands: []string{"cmd"},
		},
		{
			name:     "grouped flag with argument in the next word",
			args:     []string{"-tr", "3", "cmd"},
			opts:     []Option{{Letter: 't'}, {Letter: 'r', Arg: "3"}},
			operands: []string{"cmd"},
		},
		{
			name:     "attached argument",
			args:     []string{"-fcore", "cmd"},
			opts:     []Option{{Letter: 'f', Arg: "core"}},
			operands: []string{"cmd"},
		},
		{
			name:     "separate argument",
			args:     []string{"-f", "core", "cmd"},
			opts:     []Option{{Letter: 'f', Arg: "core"}},
			operands: []string{"cmd"},
		},
		{
			name:     "argument letters are not options",
			args:     []string{"-ftv", "cmd"},
			opts:     []Option{{Letter: 'f', Arg: "tv"}},
			operands: []string{"cmd"},
		},
		{
			name:     "empty separate argument",
			args:     []string{"-A", "", "cmd"},
			opts:     []Option{{Letter: 'A', Arg: ""}},
			operands: []string{"cmd"},
		},
		{
			name:     "options keep their order and repeats",
			args:     []string{"-i", "core", "-v", "-i", "exit", "cmd"},
			opts:     []Option{{Letter: 'i', Arg: "core"}, {Letter: 'v'}, {Letter: 'i', Arg: "exit"}},
			operands: []string{"cmd"},
		},
		{
			name:     "double dash ends options",
			args:     []string{"-v", "--", "-t", "cmd"},
			opts:     []Option{{Letter: 'v'}},
			operands: []string{"-t", "cmd"},
		},
		{
			name:     "double dash first",
			args:     []string{"--", "-v"},
			opts:     nil,
			operands: []string{"-v"},
		},
		{
			name:     "only the first double dash is consumed",
			args:     []string{"--", "--", "x"},
			opts:     nil,
			operands: []string{"--", "x"},
		},
		{
			name:     "double dash as an option argument",
			args:     []string{"-F", "--", "cmd"},
			opts:     []Option{{Letter: 'F', Arg: "--"}},
			operands: []string{"cmd"},
		},
		{
			name:     "first operand stops parsing",
			args:     []string{"-v", "cmd", "-x"},
			opts:     []Option{{Letter: 'v'}},
			operands: []string{"cmd", "-x"},
		},
		{
			name:     "command's own options are not ours even if we know them",
			args:     []string{"sh", "-c", "exit 3", "-v"},
			opts:     nil,
			operands: []string{"sh", "-c", "exit 3", "-v"},
		},
		{
			name:     "double dash after the first operand belongs to the command",
			args:     []string{"cmd", "--", "-v"},
			opts:     nil,
			operands: []string{"cmd", "--", "-v"},
		},
		{
			name:     "lone dash is an operand",
			args:     []string{"-v", "-", "-t"},
			opts:     []Option{{Letter: 'v'}},
			operands: []string{"-", "-t"},
		},
		{
			name:     "option argument that looks like an option",
			args:     []string{"-F", "-v", "cmd"},
			opts:     []Option{{Letter: 'F', Arg: "-v"}},
			operands: []string{"cmd"},
		},
		{
			name:     "option argument that is a lone dash",
			args:     []string{"-A", "-", "cmd"},
			opts:     []Option{{Letter: 'A', Arg: "-"}},
			operands: []string{"cmd"},
		},
		{
			name:     "options only, no operand",
			args:     []string{"-a", "12", "-V"},
			opts:     []Option{{Letter: 'a', Arg: "12"}, {Letter: 'V'}},
			operands: []string{},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, operands, err := Parse(tc.args, testOptstring)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tc.args, err)
			}
			if len(opts) != len(tc.opts) || (len(opts) > 0 && !reflect.DeepEqual(opts, tc.opts)) {
				t.Errorf("Parse(%q) options = %+v, want %+v", tc.args, opts, tc.opts)
			}
			if len(operands) != len(tc.operands) || (len(operands) > 0 && !reflect.DeepEqual(operands, tc.operands)) {
				t.Errorf("Parse(%q) operands = %q, want %q", tc.args, operands, tc.operands)
			}
		})
	}
}

func TestGetoptErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"unknown option", []string{"-x", "cmd"}},
		{"unknown option in a group", []string{"-tx", "cmd"}},
		{"unknown option after known ones", []string{"-v", "-q", "cmd"}},
		{"colon is not an option", []string{"-:", "cmd"}},
		{"triple dash", []string{"---", "cmd"}},
		{"missing argument at the end", []string{"-f"}},
		{"missing argument after other options", []string{"-v", "-r"}},
		{"missing argument at the end of a group", []string{"-tr"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, operands, err := Parse(tc.args, testOptstring)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error = %v (%T), want *UsageError", tc.args, err, err)
			}
			if ue.Msg == "" || ue.Error() != ue.Msg {
				t.Errorf("usage error message %q / Error() %q: want the same, non-empty", ue.Msg, ue.Error())
			}
			if opts != nil || operands != nil {
				t.Errorf("Parse(%q) on error returned options %+v, operands %q; want none", tc.args, opts, operands)
			}
		})
	}
}

// An unknown option is named as it was typed: the whole long name (without
// a value), or the one letter of a group that is not ours.
func TestGetoptNamesTheUnknownOption(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--restart", "3", "cmd"}, "unknown option --restart"},
		{[]string{"--restart=3", "cmd"}, "unknown option --restart"},
		{[]string{"-v", "--grace", "1", "cmd"}, "unknown option --grace"},
		{[]string{"-tx", "cmd"}, "unknown option -x"},
		{[]string{"---", "cmd"}, "unknown option ---"},
	} {
		_, _, err := Parse(tc.args, testOptstring)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Parse(%q) error = %v, want %q", tc.args, err, tc.want)
		}
	}
}

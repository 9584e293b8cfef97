// Package docker holds the real-Docker suite of issue 10 (docker_test.go and
// cases_test.go, build tag docker: make test-docker) and, without the tag
// (so that make test runs them), the checks that keep the README's container
// examples identical to docs/container, whose ENTRYPOINT line the suite runs.
package docker

import (
	"encoding/json"
	"fmt"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The paths from this package's directory, where go test runs it.
const (
	repoRoot       = "../.."
	dockerfilePath = "docs/container/Dockerfile"
	podPath        = "docs/container/pod.yaml"
)

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(path.Join(repoRoot, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReadmeShowsContainerFiles: the README's section "In a container" shows
// each file of docs/container as it is, so that what users copy from the
// README is what the docker suite runs.
func TestReadmeShowsContainerFiles(t *testing.T) {
	section, err := markdownSection(readRepoFile(t, "README.md"), "In a container")
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range []string{dockerfilePath, podPath} {
		t.Run(path.Base(file), func(t *testing.T) {
			got, err := codeBlockAfter(section, "`"+file+"`")
			if err != nil {
				t.Fatal(err)
			}
			if want := readRepoFile(t, file); got != want {
				t.Errorf("README's block differs from %s: %s", file, firstDifference(got, want))
			}
		})
	}
}

// TestDockerfileEntrypoint: the Dockerfile's ENTRYPOINT is ctrun in exec
// form with the command left to CMD (a shell-form ENTRYPOINT would ignore
// CMD and the arguments of docker run, and would put a shell, not ctrun, at
// PID 1), and the pod runs the same ctrun command line.
func TestDockerfileEntrypoint(t *testing.T) {
	dockerfile := readRepoFile(t, dockerfilePath)
	_, argv, err := dockerfileEntrypoint(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	if argv[0] != "/usr/bin/ctrun" {
		t.Errorf("ENTRYPOINT runs %s, not /usr/bin/ctrun (where the Dockerfile and the suite's image put it)", argv[0])
	}
	if !slices.ContainsFunc(instructions(dockerfile), func(l string) bool {
		f := strings.Fields(l)
		return f[0] == "COPY" && slices.Contains(f, "bin/ctrun") && f[len(f)-1] == "/usr/bin/"
	}) {
		t.Error("no COPY of bin/ctrun to /usr/bin/")
	}
	if !slices.ContainsFunc(instructions(dockerfile), func(l string) bool { return strings.HasPrefix(l, "CMD ") }) {
		t.Error("no CMD: the entrypoint leaves the command to it")
	}

	command, err := podCommand(readRepoFile(t, podPath))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(command, argv) {
		t.Errorf("pod.yaml's command %q differs from the Dockerfile's ENTRYPOINT %q", command, argv)
	}
}

// TestPodSpecRestricted: the pod keeps the restricted security context the
// README promises (and that the suite's pod-like docker runs mimic).
func TestPodSpecRestricted(t *testing.T) {
	lines := map[string]bool{}
	for _, l := range strings.Split(readRepoFile(t, podPath), "\n") {
		lines[strings.TrimSpace(l)] = true
	}
	for _, want := range []string{
		"runAsNonRoot: true",
		"runAsUser: 65534",
		"readOnlyRootFilesystem: true",
		"allowPrivilegeEscalation: false",
		`drop: ["ALL"]`,
		"type: RuntimeDefault",
		"mountPath: /tmp",
		"emptyDir: {}",
	} {
		if !lines[want] {
			t.Errorf("pod.yaml has no line %q", want)
		}
	}
}

// instructions returns a Dockerfile's instructions, one a line (comments and
// blank lines dropped; the examples use no continuation lines).
func instructions(dockerfile string) []string {
	var out []string
	for _, l := range strings.Split(dockerfile, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// dockerfileEntrypoint returns the Dockerfile's one ENTRYPOINT instruction,
// as written (for docker import --change), and its argv.
func dockerfileEntrypoint(dockerfile string) (line string, argv []string, err error) {
	for _, l := range instructions(dockerfile) {
		if !strings.HasPrefix(l, "ENTRYPOINT ") {
			continue
		}
		if line != "" {
			return "", nil, fmt.Errorf("more than one ENTRYPOINT")
		}
		line = l
		if err := json.Unmarshal([]byte(strings.TrimPrefix(l, "ENTRYPOINT ")), &argv); err != nil || len(argv) == 0 {
			return "", nil, fmt.Errorf("ENTRYPOINT is not in exec form (a JSON array of strings): %s", l)
		}
	}
	if line == "" {
		return "", nil, fmt.Errorf("no ENTRYPOINT")
	}
	return line, argv, nil
}

// podCommand returns the argv of the pod's one `command: [...]` (a flow
// sequence of double-quoted strings, which is JSON).
func podCommand(pod string) ([]string, error) {
	var argv []string
	found := 0
	for _, l := range strings.Split(pod, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(l), "command:")
		if !ok {
			continue
		}
		found++
		if err := json.Unmarshal([]byte(strings.TrimSpace(rest)), &argv); err != nil {
			return nil, fmt.Errorf("pod.yaml: command is not a flow sequence of quoted strings: %s", l)
		}
	}
	if found != 1 {
		return nil, fmt.Errorf("pod.yaml: %d command lines, want 1", found)
	}
	return argv, nil
}

// markdownSection returns the text of the "## title" section, up to the
// next heading of the same level.
func markdownSection(md, title string) (string, error) {
	_, rest, ok := strings.Cut(md, "\n## "+title+"\n")
	if !ok {
		return "", fmt.Errorf("no section %q", title)
	}
	if i := strings.Index(rest, "\n## "); i >= 0 {
		rest = rest[:i+1]
	}
	return rest, nil
}

// codeBlockAfter returns the indented code block that follows the paragraph
// naming mention (its first mention), unindented, ending in a newline.
func codeBlockAfter(section, mention string) (string, error) {
	lines := strings.Split(section, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, mention) })
	if i < 0 {
		return "", fmt.Errorf("the section never names %s", mention)
	}
	for i < len(lines) && strings.TrimSpace(lines[i]) != "" { // the rest of the paragraph
		i++
	}
	for i < len(lines) && strings.TrimSpace(lines[i]) == "" {
		i++
	}
	var block []string
lines:
	for _, l := range lines[i:] {
		switch {
		case strings.HasPrefix(l, "    "):
			block = append(block, l[4:])
		case strings.HasPrefix(l, "\t"):
			block = append(block, l[1:])
		case strings.TrimSpace(l) == "":
			block = append(block, "")
		default: // the next paragraph
			break lines
		}
	}
	for len(block) > 0 && block[len(block)-1] == "" {
		block = block[:len(block)-1]
	}
	if len(block) == 0 {
		return "", fmt.Errorf("no indented code block after the paragraph naming %s", mention)
	}
	return strings.Join(block, "\n") + "\n", nil
}

// firstDifference says where two texts first differ, by line.
func firstDifference(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl || i >= len(g) || i >= len(w) {
			return fmt.Sprintf("line %d: README %q, file %q", i+1, gl, wl)
		}
	}
	return "same text"
}

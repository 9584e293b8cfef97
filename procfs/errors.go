package procfs

import "errors"

// ErrFormat is wrapped by the errors of a file that does not read as the
// kernel writes it (a file in a test's fake /proc, or a kernel far older
// than ctrun supports).
var ErrFormat = errors.New("unexpected format")

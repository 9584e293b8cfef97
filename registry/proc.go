package registry

import "github.com/ctrun/ctrun/procfs"

// procRead reads the small /proc file path into buf, cut short if longer
// (see procfs.ReadSmall).
func procRead(path string, buf []byte) ([]byte, error) { return procfs.ReadSmall(path, buf) }

package cinit

import _ "embed"

// The init's C files include wire/protocol.h, which lies outside this
// package's directory: the go command would not count it among this
// package's inputs, and a change to the header alone would leave a cached
// init built against the old one, while package wire already follows the
// new one. Embedding the header makes it an input; nothing reads the
// variable, so the linker leaves the text out of the binary.
//
//go:embed wire/protocol.h
var _ string

//go:build ignore

// gen.go rewrites names.go from protocol.h (see internal/genwire):
// go generate ./runtime/cinit/wire.
package main

import (
	"fmt"
	"os"

	"github.com/ctrun/ctrun/runtime/cinit/wire/internal/genwire"
)

func main() {
	out, err := genwire.Generate("protocol.h")
	if err == nil {
		err = os.WriteFile("names.go", out, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

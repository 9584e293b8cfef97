package stream

import (
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ctrun/ctrun/runtime/cinit/wire"
)

// The socket is named after the holder's host pid, in the state
// directory: a holder finds its own again, and whoever collects the
// sockets of holders that were killed recognises them by name. The C init
// (runtime/cinit) removes stale ones by the same name, so the prefix and
// suffix are those both sides read from protocol.h (package wire).

// SocketPath is the socket of the holder whose host pid is holderPid, in
// the state directory dir.
func SocketPath(dir string, holderPid int) string {
	return filepath.Join(dir, wire.HolderSockPrefix+strconv.Itoa(holderPid)+wire.SockSuffix)
}

// IsSocketName says whether a directory entry's name is a holder's
// socket (SocketPath's last element), for collecting the stale ones.
func IsSocketName(name string) bool {
	return strings.HasPrefix(name, wire.HolderSockPrefix) && strings.HasSuffix(name, wire.SockSuffix)
}

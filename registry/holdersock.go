package registry

// Owner is the uid that owns the directory, -1 when it cannot be examined:
// the uid a holder's socket in it must belong to (stream.Dial).
func (d Dir) Owner() int { return dirOwner(d) }

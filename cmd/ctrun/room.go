package main

// The room check (room.c) runs from a constructor, before the Go runtime
// starts the threads it could not do without.

/*
#cgo CFLAGS: -Wall -O2
*/
import "C"

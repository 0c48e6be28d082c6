package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether w is a terminal: progress output and info logs
// are for people, not for cron mail.
func isTerminal(w io.Writer) bool {
	for {
		u, ok := w.(wrapper)
		if !ok {
			break
		}
		w = u.underlying()
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// wrapper is a writer that writes to another (standard output behind its
// error memory, or behind the progress line), which isTerminal looks at.
type wrapper interface{ underlying() io.Writer }

func (o *outputWriter) underlying() io.Writer { return o.w }
func (e endsProgress) underlying() io.Writer  { return e.w }

// Package ownerdir opens a directory that only its owner can write, checks
// it, and hands out paths that go through the process's own handle on it
// (/proc/self/fd/N/NAME): the store's directory (package store) and the
// signing keys' (package job) are opened so.
//
// Whoever cannot write such a directory cannot change a byte a command
// reads from it, at any moment: not by editing a file (every entry is the
// owner's and writable by nobody else), not by adding or removing one (the
// directory is writable by nobody else), and not by renaming the
// directory away and putting another in its place after the check (the
// command keeps reading the one it checked). Someone who may write the
// state directory around it can still do the last; a directory they put
// there is theirs, and refused (docs/COMPLIANCE.md, "The store's
// directory" and "The keys directory").
//
// It owns the check, the handle, and the claim of a directory its caller
// has just created (Claim). It must not create or remove a directory,
// nor decide what the files in it mean: its callers do that.
package ownerdir

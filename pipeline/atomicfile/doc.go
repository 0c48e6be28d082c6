// Package atomicfile replaces files so that a crash leaves either the old
// content or the new, never a partial file (docs/COMPLIANCE.md, "Integrity").
//
// Every write goes to a temporary file in the destination's directory (named
// ".<base>.<random>.tmp", so directory listings and globs for published
// artifacts skip it), is flushed with fsync, closed, renamed over the
// destination and made durable by an fsync of the directory. On any error
// the temporary file is removed and the destination is left untouched.
// The aligned head of a large write goes to the disk directly (O_DIRECT,
// where the file system takes it) rather than through the page cache: the
// file is made durable before the rename anyway.
//
// It owns only the mechanics of one file. It must not decide names, layout
// or write-once policy: reports.Publisher and the other callers do that.
package atomicfile

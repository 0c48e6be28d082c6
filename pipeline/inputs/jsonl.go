package inputs

import "bytes"

const utf8BOM = "\xEF\xBB\xBF"

// eachLine calls fn with every complete, non-blank line of a JSON Lines file
// and its 1-based line number (blank lines count towards the numbering).
// A trailing "\r" and a UTF-8 byte-order mark on the first line are removed.
//
// Bytes after the last newline are a line that is still being written, as
// with the ledger: they are not passed to fn, and their count is returned so
// the caller can report them. A tail of only whitespace counts as nothing.
func eachLine(data []byte, fn func(n int, line []byte) error) (partialTail int64, err error) {
	n := 0
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if len(bytes.TrimSpace(data)) == 0 {
				return 0, nil
			}
			return int64(len(data)), nil
		}
		n++
		line := bytes.TrimSuffix(data[:i], []byte{'\r'})
		data = data[i+1:]
		if n == 1 {
			line = bytes.TrimPrefix(line, []byte(utf8BOM))
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := fn(n, line); err != nil {
			return 0, err
		}
	}
	return 0, nil
}

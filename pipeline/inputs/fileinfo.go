package inputs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// FileInfo identifies the exact bytes an input was loaded from, for the
// report's inputs section and the job's input digest. For an optional file
// that does not exist, Path is set and Bytes and SHA256 are empty.
type FileInfo struct {
	Path   string
	Bytes  int64
	SHA256 string // lowercase hex of the whole file
}

// Present reports whether the file existed. An existing empty file is
// present (its SHA256 is that of no bytes).
func (f FileInfo) Present() bool { return f.SHA256 != "" }

// readInput reads path whole; it must be a regular file (OpenRegular). A
// missing file is reported as ok == false with no error, because every
// input but the ledger is optional; a symbolic link to nothing, and any
// other read failure, is an error naming the file.
func readInput(path string) (data []byte, info FileInfo, ok bool, err error) {
	f, err := OpenRegular(path)
	if errors.Is(err, fs.ErrNotExist) {
		// A link to nothing is a file someone meant to be there (a
		// missing mount, a moved target), not an input left out.
		if target, lerr := os.Readlink(path); lerr == nil {
			return nil, FileInfo{Path: path}, false, fmt.Errorf("%s is a symbolic link to %s, which does not exist (a missing mount?): restore its target, or put the file itself in its place", path, target)
		}
		return nil, FileInfo{Path: path}, false, nil
	}
	if err != nil {
		return nil, FileInfo{Path: path}, false, err // names the file
	}
	defer f.Close()
	if data, err = io.ReadAll(f); err != nil {
		return nil, FileInfo{Path: path}, false, err
	}
	return data, describe(path, data), true, nil
}

func describe(path string, data []byte) FileInfo {
	sum := sha256.Sum256(data)
	return FileInfo{Path: path, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

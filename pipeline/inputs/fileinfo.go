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
		if err := LinkToNothing(path); err != nil {
			return nil, FileInfo{Path: path}, false, err
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

// LinkToNothing is the error of a path found missing that is a symbolic
// link to nothing: a file someone meant to be there (a missing mount, a
// moved target), never a file left out. nil when path is no link.
func LinkToNothing(path string) error {
	target, err := os.Readlink(path)
	if err != nil {
		return nil
	}
	return fmt.Errorf("%s is a symbolic link to %s, which does not exist (a missing mount?): restore its target, or put the file itself in its place", path, target)
}

func describe(path string, data []byte) FileInfo {
	sum := sha256.Sum256(data)
	return FileInfo{Path: path, Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

package store

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// scratchDir makes a directory of this process's in the temporary
// directory, named prefix, the process's id, '-' and a random part, after
// removing those named so that processes no longer running left there: a
// verification or a query killed (SIGKILL, the OOM killer, a watchdog's
// exit) left its files behind, each time, up to gigabytes, and nothing
// removed them (outside reviews).
func scratchDir(prefix string) (string, error) {
	tmp := os.TempDir()
	if entries, err := os.ReadDir(tmp); err == nil {
		for _, e := range entries {
			rest, ok := strings.CutPrefix(e.Name(), prefix)
			pidText, _, hasPID := strings.Cut(rest, "-")
			pid, err := strconv.Atoi(pidText)
			if !ok || !hasPID || err != nil || pid <= 0 || !e.IsDir() || processRunning(pid) {
				continue
			}
			_ = os.RemoveAll(filepath.Join(tmp, e.Name()))
		}
	}
	return os.MkdirTemp(tmp, fmt.Sprintf("%s%d-", prefix, os.Getpid()))
}

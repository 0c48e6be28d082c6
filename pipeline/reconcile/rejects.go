package reconcile

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/ledgerlens/ledgerlens/reports"
)

// RejectsAgainstReport ties a published rejects file
// (rejects_cumulative_D[.rK].jsonl), whose verified bytes are data, to the
// weekly report of the same week and revision beside it, checked with
// keys (reports.VerifyFileData): the report must be the report of its
// name, and the file must hold as many lines as its
// data_quality.rejected and begin with its rejects_sample. Nothing inside
// a rejects file names its week or revision, so its signature alone
// passed another week's, or an earlier revision's, file under this name
// (an outside review). found is false when path is not a rejects file's
// name or no report lies beside it; problems name what does not match
// (the report's own sidecar or signature failing is one, and so is a
// report whose identity is not its name's). The report is read once, and
// what was verified is what is compared.
func RejectsAgainstReport(path string, data []byte, keys ...ed25519.PublicKey) (problems []string, found bool, err error) {
	name := filepath.Base(path)
	n, ok := reports.ParseName(name)
	if !ok || !n.IsRejects() {
		return nil, false, nil
	}
	report := reports.PublishedName{Kind: reports.PublicationWeekly, Label: n.Label, Preliminary: n.Preliminary, Revision: n.Revision, Ext: ".json"}
	reportName := report.String()
	check, reportData, err := reports.VerifyFileData(filepath.Join(filepath.Dir(path), reportName), keys...)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil && !errors.Is(err, reports.ErrVerification) {
		return nil, true, err
	}
	if p := check.Problems(); len(p) > 0 {
		return []string{fmt.Sprintf("its report %s does not verify (%s), so nothing vouches for what this file must hold", reportName, strings.Join(p, "; "))}, true, nil
	}
	// Genuine, but of its name? Another revision's report renamed with
	// its rejects file (a sidecar's name is not signed) vouched for that
	// file under this name (an outside review).
	if p := checkReportData(reportName, reportData, report); len(p) > 0 {
		return []string{fmt.Sprintf("its report %s is not the report of its name (%s), so nothing vouches for what this file must hold", reportName, strings.Join(p, "; "))}, true, nil
	}
	var rep struct {
		DataQuality struct {
			Rejected      int64            `json:"rejected"`
			RejectsSample []reports.Reject `json:"rejects_sample"`
		} `json:"data_quality"`
	}
	if err := json.Unmarshal(reportData, &rep); err != nil {
		return []string{fmt.Sprintf("its report %s is not a weekly report: %v", reportName, err)}, true, nil
	}
	var lines []reports.Reject
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), len(data)+1)
	for n := 1; sc.Scan(); n++ {
		var r reports.Reject
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return []string{fmt.Sprintf("line %d is not a reject: %v", n, err)}, true, nil
		}
		lines = append(lines, r)
	}
	if err := sc.Err(); err != nil {
		return nil, true, err
	}
	dq := rep.DataQuality
	if int64(len(lines)) != dq.Rejected {
		problems = append(problems, fmt.Sprintf("%d rejects, but its report %s counts %d: another week's or revision's rejects file under this name", len(lines), reportName, dq.Rejected))
	}
	for i, want := range dq.RejectsSample {
		if i >= len(lines) || lines[i] != want {
			problems = append(problems, fmt.Sprintf("reject %d differs from its report %s's rejects_sample (line %d of the ledger): another week's or revision's rejects file under this name", i+1, reportName, want.LineNo))
			break
		}
	}
	return problems, true, nil
}

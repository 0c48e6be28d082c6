package reports

import (
	"strings"
)

// aboutBlocks lays out the About sheet: the report's provenance, policy
// thresholds and inputs, and how to verify the files.
func (b *workbookBuilder) aboutBlocks() []*sheetBlock {
	w := b.w
	pol := w.Policy
	report := rowsBlock("about", "", headers("Field", "Value"), []kvRow{
		func(r *rowBuf) { r.text("Report ID"); r.text(w.ReportID) },
		func(r *rowBuf) { r.text("Revision"); r.int(int64(max(w.Revision, 1))) },
		func(r *rowBuf) { r.text("Supersedes"); r.optText(w.Supersedes) },
		func(r *rowBuf) { r.text("Schema"); r.text(w.Schema) },
		func(r *rowBuf) { r.text("Period start"); r.time(w.PeriodStart) },
		func(r *rowBuf) { r.text("Period end (exclusive)"); r.time(w.PeriodEnd) },
		func(r *rowBuf) { r.text("Report time zone"); r.text(w.TimeZone) },
		func(r *rowBuf) { r.text("Workbook dates shown in"); r.text(b.zoneName()) },
		func(r *rowBuf) { r.text("Generator"); r.text(w.Generator.Name) },
		func(r *rowBuf) { r.text("Generator version"); r.text(w.Generator.Version) },
		func(r *rowBuf) {
			r.text("Signing key ID")
			if w.SigningKeyID != nil {
				r.text(*w.SigningKeyID)
			} else {
				r.text("unsigned")
			}
		},
		func(r *rowBuf) { r.text("Audit head at start"); r.overflow(w.AuditHeadAtStart) },
		func(r *rowBuf) { r.text("Ledger lines covered"); r.int(w.Inputs.Ledger.LinesCovered) },
		func(r *rowBuf) { r.text("Baselines source"); r.text(w.Inputs.Baselines) },
		func(r *rowBuf) { r.text("Policy source"); r.text(w.Inputs.Policy) },
		func(r *rowBuf) { r.text("SEV0 multiplier (PII/regulatory)"); r.num(kMult, pol.Sev0Multiplier) },
		func(r *rowBuf) { r.text("SEV1 multiplier"); r.num(kMult, pol.Sev1Multiplier) },
		func(r *rowBuf) { r.text("SEV2 multiplier (spike threshold)"); r.num(kMult, pol.Sev2Multiplier) },
		func(r *rowBuf) { r.text("SEV3 multiplier"); r.num(kMult, pol.Sev3Multiplier) },
		func(r *rowBuf) { r.text("Healthy run statuses"); r.text(strings.Join(pol.HealthyRunStatuses, ", ")) },
		func(r *rowBuf) { r.text("Baseline window (days)"); r.int(int64(pol.BaselineWindowDays)) },
	})
	report.freeze = true

	inputs := inputsBlock(w.Inputs, true)

	base := b.base
	type step struct{ what, cmd string }
	steps := []step{
		{"JSON report hash", "sha256sum -c " + base + ".json.sha256"},
		{"Workbook hash", "sha256sum -c " + base + ".xlsx.sha256"},
		{"Hashes and signatures", "ledgerlens verify --pubkey /path/to/your/signing.pub runs/CREDIT_REVIEWS/" + base + ".json runs/CREDIT_REVIEWS/" + base + ".xlsx"},
	}
	if b.opts.Signed {
		for _, ext := range []string{".json", ".xlsx"} {
			f := base + ext
			steps = append(steps, step{"Signature of " + ext[1:] + " (OpenSSL)",
				// The decoded signature goes to a temporary file: an s.bin
				// left in the reports directory is a file no job
				// published, which `verify all` then reports.
				"s=$(mktemp) && base64 -d " + f + ".sig > \"$s\" && openssl pkeyutl -verify -pubin -inkey ../../.ledgerlens/keys/signing.pub -rawin -in " + f + " -sigfile \"$s\""})
		}
	} else {
		steps = append(steps, step{"Signature", "none: published unsigned, no .sig files"})
	}
	steps = append(steps, step{"Audit trail", "ledgerlens audit verify"})
	verify := &sheetBlock{
		name: "verify", title: "How to verify",
		cols: headers("Check", "Command"), n: len(steps),
		row: func(i int, r *rowBuf) {
			r.text(steps[i].what)
			r.styled(kCode, steps[i].cmd)
		},
	}
	// Short lines: a printed sheet cuts a long one at the page's edge,
	// and the advice on the key was past it.
	where := noteBlock("verify_notes", "", []string{
		"Run sha256sum and openssl in runs/CREDIT_REVIEWS/, and ledgerlens from the working root.",
		"Check the signatures with the public key obtained out of band, whose id is signing_key_id:",
		"../../.ledgerlens/keys/signing.pub is the host's copy, which whoever can write the state",
		"directory can replace along with every signature and sidecar. Give that key's path instead.",
		"The audit head above must appear in the verified audit log.",
	})
	return []*sheetBlock{report, inputs, verify, where}
}

package evidence

import (
	"fmt"
	"strings"
)

// renderMarkdown writes INDEX.md: the human-readable index, with how to
// re-perform every check offline. It is derived from the index alone, so
// it is as deterministic as index.json.
func renderMarkdown(idx *Index) []byte {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	r := idx.Range
	p("# Evidence bundle %s – %s", r.From, r.To)
	p("")
	p("Exported by %s %s for the days %s to %s (inclusive) in %s, that is [%s, %s).",
		idx.Generator.Name, idx.Generator.Version, r.From, r.To, r.TimeZone, r.Start, r.End)
	p("Signed with key `%s`; its public half is `%s`.", idx.SigningKeyID, idx.PublicKey)
	p("")
	c := idx.Counts
	p("## Contents")
	p("")
	p("- %d weekly credit reviews and %d SLA reports (`runs/CREDIT_REVIEWS/`), each with its workbook, SHA-256 sidecar and signature", c.WeeklyReports, c.SLAReports)
	p("- %d baseline proposals, %d approvals and %d update notes (`runs/BASELINE_UPDATES/`)", c.Proposals, c.Approvals, c.Notes)
	if c.Acknowledgments > 0 {
		p("- %d signed acknowledgments of ledger modifications or conflicting duplicates that the weekly reviews cite (`runs/CREDIT_REVIEWS/ledger_ack_*.json`)", c.Acknowledgments)
	}
	a := idx.Audit
	if a.Entries > 0 {
		p("- %d audit log entries, seq %d to %d (`%s`), chaining from `%s`", a.Entries, a.FirstSeq, a.LastSeq, a.Segment, a.PrevHash)
	} else {
		p("- no audit log entries in the range (`%s` is empty); the log's last entry before it has hash `%s`", a.Segment, a.PrevHash)
	}
	verified := "verified intact"
	if !a.VerifiedFromStart {
		verified = "NOT intact (see " + a.Verification + ")"
	}
	p("- the audit log from seq 1 through the segment's end (%d entries) at export: %s", a.VerifiedEntries, verified)
	p("- `%s`: the signed checkpoint of the audit log (%d entries) that `%s` proves the segment's records of publication and every report's own checkpoint against", a.Checkpoint, a.CheckpointSize, a.Proofs)
	if a.Head != "" {
		p("- `%s`: the audit log when this bundle was exported (%d entries), signed; `%s` proves it extends every earlier checkpoint, so `ledgerlens verify --checkpoint` tells this export from an older one against a checkpoint you kept", a.Head, a.HeadSize, a.Proofs)
	}
	p("- `index.json`: every file's path, SHA-256, size and controls; signed (`index.json.sha256`, `index.json.sig`)")
	p("")
	p("## Weekly periods")
	p("")
	var gaps []string
	for _, w := range idx.Periods {
		switch w.Status {
		case PeriodPresent:
			sup := ""
			if len(w.Superseded) > 0 {
				sup = fmt.Sprintf("; supersedes %s", strings.Join(w.Superseded, ", "))
			}
			p("- week of %s: present, revision %d (`%s`)%s", w.Week, w.Revision, w.Report, sup)
		default:
			p("- week of %s: **MISSING**: %s", w.Week, w.Why)
			gaps = append(gaps, w.Week)
		}
	}
	p("")
	if len(gaps) > 0 {
		p("**Gaps: %d of the %d weeks in the range have no weekly credit review in this bundle (%s).** The bundle does not evidence monitoring for those weeks.",
			len(gaps), len(idx.Periods), strings.Join(gaps, ", "))
	} else {
		p("Every week in the range has a weekly credit review in this bundle.")
	}
	p("")
	if len(idx.IntegrityProblems) > 0 {
		p("## Integrity problems at export")
		p("")
		p("**The ledger these reports were computed from is not as the audit log records it (%d): changed, cut short, missing or unreadable since, or holding a change no one acknowledged.** The reports stand as published; `ledgerlens verify` fails this bundle until an export finds none.", len(idx.IntegrityProblems))
		p("")
		for _, problem := range idx.IntegrityProblems {
			p("- %s", problem)
		}
		p("")
	}
	p("## Controls")
	for _, ctl := range idx.Controls {
		p("")
		p("### %s (`%s`)", ctl.Title, ctl.ID)
		p("")
		p("%s", ctl.Description)
		p("")
		p("Re-perform:")
		for _, step := range ctl.Reperform {
			p("- `%s`", step)
		}
		p("")
		p("Files: %d (listed under `controls` in `index.json` and below).", len(ctl.Files))
	}
	p("")
	p("## Verify offline")
	p("")
	p("Everything below runs in the unpacked bundle with standard tools; `ledgerlens verify --pubkey /path/to/your/signing.pub <bundle>.zip` does all of it at once and names any failing file or audit entry. Each decoded signature goes to a temporary file (`s`), outside the bundle's tree, where a check for files the index does not list would otherwise find it.")
	p("")
	p("0. The key. `%s` in this bundle is the bundle's own claim, and so is `signing_key_id`: whoever forged a bundle wrote both. Check with the public key you obtained out of band, named by its absolute path, never a bare `signing.pub`, which the bundle could ship (its id: `openssl pkey -pubin -in /path/to/your/signing.pub -outform DER | sha256sum | cut -c1-16`), first the bundle itself, next to the zip:", idx.PublicKey)
	p("")
	p("       s=$(mktemp)")
	p("       base64 -d <bundle>.zip.sig > \"$s\" && openssl pkeyutl -verify -pubin -inkey /path/to/your/signing.pub -rawin -in <bundle>.zip -sigfile \"$s\"")
	p("")
	p("   then that the bundled key is that key, so that the steps below, which use it, check with yours:")
	p("")
	p("       cmp <(openssl pkey -pubin -in %s -outform DER) <(openssl pkey -pubin -in /path/to/your/signing.pub -outform DER)", idx.PublicKey)
	p("")
	p("1. Every file against the signed index (from the bundle's top directory):")
	p("")
	p("       jq -r '.files[] | \"\\(.sha256)  \\(.path)\"' index.json | sha256sum -c")
	p("")
	p("2. The index's own hash and signature:")
	p("")
	p("       sha256sum -c index.json.sha256")
	p("       base64 -d index.json.sig > \"$s\" && openssl pkeyutl -verify -pubin -inkey %s -rawin -in index.json -sigfile \"$s\"", idx.PublicKey)
	p("")
	p("3. Each report and record's sidecar and signature (in its directory, with the key given as a path relative to it):")
	p("")
	p("       cd runs/CREDIT_REVIEWS && sha256sum -c *.sha256")
	p("       for f in *.sig; do base64 -d \"$f\" > \"$s\"; openssl pkeyutl -verify -pubin -inkey ../../%s -rawin -in \"${f%%.sig}\" -sigfile \"$s\" || echo \"FAILED $f\"; done", idx.PublicKey)
	p("")
	if len(idx.RetiredKeys) > 0 {
		p("   These files were signed before a key rotation, by a retired key the signed index vouches for: check each with that key (`-inkey ../../keys/retired/<key id>.pub`) instead.")
		p("")
		for _, f := range idx.Files {
			if f.SignatureKeyID != "" {
				p("   - `%s`: key %s (`%s%s.pub`)", f.Path, f.SignatureKeyID, RetiredKeysPrefix, f.SignatureKeyID)
			}
		}
		p("")
	}
	p("4. The audit segment's hash chain, starting from `audit.prev_hash` and `audit.first_seq` of `index.json` (the audit log's own recipe):")
	p("")
	p("       prev=$(jq -r .audit.prev_hash index.json); n=$(( $(jq .audit.first_seq index.json) - 1 ))")
	p("       while IFS= read -r line; do")
	p("         n=$((n+1))")
	p("         want=$(printf '%%s' \"$line\" | jq -r .hash)")
	p("         got=$( { printf '%%s' \"$prev\"; printf '%%s' \"$line\" | jq -cSj 'del(.hash, .sig)'; } | sha256sum | cut -d' ' -f1 )")
	p("         [ \"$got\" = \"$want\" ] && [ \"$(printf '%%s' \"$line\" | jq .seq)\" = \"$n\" ] || { echo \"broken at seq $n\"; break; }")
	p("         prev=$want")
	p("       done < %s; echo \"head $prev\"", a.Segment)
	p("")
	p("   The printed head must equal `audit.head_hash`. Each report's `audit_head_at_start` is looked up in the log in `%s`.", a.Verification)
	p("")
	p("## Files")
	p("")
	p("| File | Kind | Bytes | SHA-256 | Controls |")
	p("|---|---|---:|---|---|")
	for _, f := range idx.Files {
		p("| `%s` | %s | %d | `%s` | %s |", f.Path, f.Kind, f.Bytes, f.SHA256, strings.Join(f.Controls, ", "))
	}
	return []byte(b.String())
}

package evidence

import (
	"github.com/ledgerlens/ledgerlens/reports"
)

// Schema is the newest value of Index.Schema, which Verify reads. A v5
// bundle states integrity problems the export found (IntegrityProblems),
// which a verifier that knows only v4 would not read: it refuses the
// schema instead of passing the bundle. A bundle without such problems is
// written as v4, which says everything it holds, so that verifiers of the
// releases before still check it. A v4 bundle also states the log's head
// when it was exported (Head); a v3 bundle also holds the signed
// acknowledgment records its weekly reports cite. Verify still accepts v3
// and v2 bundles (exported before those), which do not.
const (
	Schema   = "ledgerlens.evidence/v5"
	schemaV4 = "ledgerlens.evidence/v4"
	schemaV3 = "ledgerlens.evidence/v3"
	schemaV2 = "ledgerlens.evidence/v2"
)

// schemaFor is the schema a bundle whose index is idx is written as: the
// oldest that says all it holds.
func schemaFor(idx *Index) string {
	if len(idx.IntegrityProblems) > 0 {
		return Schema
	}
	return schemaV4
}

// StatesHead reports whether a bundle of idx's schema states the log's
// head when it was exported (v4 on), so that Result.CheckKept can tell an
// older export.
func StatesHead(idx *Index) bool { return idx.Schema != schemaV2 && idx.Schema != schemaV3 }

// HoldsAcknowledgments reports whether a bundle of idx's schema holds the
// acknowledgment records its reports cite (v3 on), so that Verify checked
// them.
func HoldsAcknowledgments(idx *Index) bool { return idx.Schema != schemaV2 }

// Controls a bundle's files evidence.
const (
	ControlMonitoring   = "continuous_monitoring"
	ControlChange       = "change_management"
	ControlAvailability = "availability"
	ControlIntegrity    = "evidence_integrity"
)

// Fixed member names of a bundle. Reports and baseline records keep the
// working root's default layout (runs/CREDIT_REVIEWS/, runs/BASELINE_UPDATES/)
// so the runbook's commands and `sha256sum -c` work in the unpacked bundle.
const (
	IndexJSON       = "index.json"
	IndexMarkdown   = "INDEX.md"
	PublicKeyMember = "keys/signing.pub"
	// RetiredKeysPrefix holds the public halves of retired keys that
	// signed bundled files, as <key id>.pub.
	RetiredKeysPrefix = "keys/retired/"
	AuditSegment      = "audit/segment.jsonl"
	AuditVerifyFile   = "audit/verification.json"
	ReviewsPrefix     = "runs/CREDIT_REVIEWS/"
	BaselinesPrefix   = "runs/BASELINE_UPDATES/"
	// ApproversPath is where a bundle holds the approvers file.
	ApproversPath    = "config/approvers"
	indexSidecarName = IndexJSON + reports.SidecarExt
	indexSigName     = IndexJSON + reports.SignatureExt
	// maxMemberBytes bounds what Verify reads of one member (a zip bomb
	// guard far above any real report).
	maxMemberBytes = 1 << 30
	// maxIndexBytes bounds index.json as BundledPublicKey reads it, before
	// the bundle's signature is checked.
	maxIndexBytes = 64 << 20
)

// File kinds in the index.
const (
	KindWeeklyReport   = "weekly_report"
	KindWeeklyWorkbook = "weekly_workbook"
	KindRejects        = "ledger_rejects"
	KindSLAReport      = "sla_report"
	KindSLAWorkbook    = "sla_workbook"
	KindProposal       = "baseline_proposal"
	KindApproval       = "baseline_approval"
	KindNote           = "baseline_note"
	// KindLedgerAck is an operator's signed acknowledgment of ledger
	// modifications or conflicting duplicates (ledgerlens ledger
	// acknowledge) that a bundled weekly report cites.
	KindLedgerAck = "ledger_acknowledgment"
	// KindPersonSignature is a person's SSH signature (SSHSIG) of a
	// baseline record; KindApprovers the allowed_signers file naming who
	// may sign (docs/COMPLIANCE.md, "Maker-checker baseline updates").
	KindPersonSignature   = "baseline_person_signature"
	KindApprovers         = "approvers"
	KindSidecar           = "sidecar"
	KindSignature         = "signature"
	KindPublicKey         = "public_key"
	KindAuditSegment      = "audit_segment"
	KindAuditVerification = "audit_verification"
	KindReadme            = "index_readme"
	KindCheckpoint        = "audit_checkpoint"
	KindProofs            = "audit_proofs"
)

// Index is index.json: what the bundle holds, which control each file
// evidences, and the anchors its checks need. It is signed inside the
// bundle (index.json.sha256, index.json.sig), so every hash it lists is
// vouched for even without the bundle's own signature.
type Index struct {
	Schema       string            `json:"schema"`
	Range        Range             `json:"range"`
	Generator    reports.Generator `json:"generator"`
	SigningKeyID string            `json:"signing_key_id"`
	PublicKey    string            `json:"public_key"`
	// RetiredKeys are the keys, retired by a rotation before the export,
	// that signed bundled files or stored checkpoints of the log (which
	// the head's proofs start from). index.json, signed by the current
	// key, vouches for them (the exporting host took them from the audit
	// log's key_rotated entries, never from a file). Absent when the
	// current key signed all of those.
	RetiredKeys []RetiredKey `json:"retired_keys,omitempty"`
	// IntegrityProblems are what the exporting job found wrong with the
	// ledger the range's reports were computed from, one line each: a
	// modification of its loaded bytes the audit log records and no one
	// acknowledged, wherever in the log it is, and a change of the bytes
	// the log's newest ingest vouched for, read at export. The reports
	// stand as published; what they were computed from has changed since.
	// Absent when the job found none.
	IntegrityProblems []string  `json:"integrity_problems,omitempty"`
	Controls          []Control `json:"controls"`
	Audit             AuditInfo `json:"audit"`
	Periods           []Period  `json:"periods"`
	Counts            Counts    `json:"counts"`
	Files             []File    `json:"files"`
}

// Range is the exported date range, inclusive, and the instants it spans
// in the configured zone: [Start, End).
type Range struct {
	From     string `json:"from"`
	To       string `json:"to"`
	TimeZone string `json:"time_zone"`
	Start    string `json:"start"`
	End      string `json:"end"`
}

// Control is one control the bundle evidences and how to re-perform it.
type Control struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Reperform   []string `json:"reperform"`
	Files       []string `json:"files"`
}

// AuditInfo anchors the audit segment: it holds the entries whose time is
// in the range (a contiguous run of the log), PrevHash is the hash of the
// entry before the first one (64 zeros when the segment starts the log) and
// HeadHash the last one's. VerifiedFromStart records that, at export, the
// log's chain was intact from seq 1 through the segment's end
// (VerifiedEntries entries): later appends do not change it, so exporting
// the same range again gives the same bundle.
type AuditInfo struct {
	Segment           string `json:"segment"`
	Verification      string `json:"verification"`
	Entries           int64  `json:"entries"`
	FirstSeq          int64  `json:"first_seq"`
	LastSeq           int64  `json:"last_seq"`
	PrevHash          string `json:"prev_hash"`
	HeadHash          string `json:"head_hash"`
	VerifiedFromStart bool   `json:"verified_from_start"`
	VerifiedEntries   int64  `json:"verified_entries"`
	// Checkpoint is the signed checkpoint of the log (CheckpointSize
	// entries) the proofs in Proofs are made against.
	Checkpoint     string `json:"checkpoint"`
	CheckpointSize int64  `json:"checkpoint_size"`
	Proofs         string `json:"proofs"`
	// Head is the newest signed checkpoint of the log when the bundle
	// was exported (HeadSize entries; Proofs.Head), from v4.
	Head     string `json:"head,omitempty"`
	HeadSize int64  `json:"head_size,omitempty"`
}

// Counts summarise the bundle.
type Counts struct {
	WeeklyReports int `json:"weekly_reports"`
	SLAReports    int `json:"sla_reports"`
	Proposals     int `json:"baseline_proposals"`
	Approvals     int `json:"baseline_approvals"`
	Notes         int `json:"baseline_notes"`
	// Acknowledgments counts the acknowledgment records the bundled
	// weekly reports cite (each once).
	Acknowledgments int `json:"ledger_acknowledgments"`
	AuditEntries    int `json:"audit_entries"`
	Files           int `json:"files"`
}

// File is one member of the bundle other than index.json and its
// companions. Sidecar and Signature name the member's own companions when
// it is a published artifact.
type File struct {
	Path      string   `json:"path"`
	Kind      string   `json:"kind"`
	Bytes     int64    `json:"bytes"`
	SHA256    string   `json:"sha256"`
	Controls  []string `json:"controls"`
	Sidecar   *string  `json:"sidecar"`
	Signature *string  `json:"signature"`
	// SignatureKeyID names the retired key (in RetiredKeys) that made
	// Signature; empty when the current key did.
	SignatureKeyID string `json:"signature_key_id,omitempty"`
}

// RetiredKey is a retired signing key's id and the member holding its
// public half (SPKI PEM, as keys/signing.pub).
type RetiredKey struct {
	KeyID string `json:"key_id"`
	Path  string `json:"path"`
}

// controlCatalogue describes the controls, in index order.
func controlCatalogue() []Control {
	return []Control{
		{
			ID:    ControlMonitoring,
			Title: "Continuous monitoring of credit spend",
			Description: "The weekly credit reviews listed as present under periods ran over the whole run ledger and published their findings " +
				"(spike runs, policy violations, SLA breaches, drift, data quality); weeks listed as missing are gaps, not evidence. " +
				"The audit segment holds the record of publication of every file, proven against a signed checkpoint of the log.",
			Reperform: []string{
				"(cd runs/CREDIT_REVIEWS && sha256sum -c *.sha256)  # in the unpacked bundle",
				"jq '.policy_violations' runs/CREDIT_REVIEWS/weekly_<date>.json",
				"jq '.periods' index.json  # present, missing with why, superseded revisions",
				"# compare each report's audit_head_at_start with audit/verification.json (report_audit_heads)",
			},
		},
		{
			ID:    ControlChange,
			Title: "Change management with two-person approval",
			Description: "Every baseline change was proposed by one person (signed proposal) and approved by another (signed approval), " +
				"after the checks of the runbook: no SEV0/SEV1 in the 14 days before, changes over 50 % only when forced; each has its update note.",
			Reperform: []string{
				"# for each approval_<id>.json: jq '.proposed_by, .approved_by' differ; its proposal_sha256 equals sha256sum of proposal_<id>.json",
				"jq '.checks, .clock' runs/BASELINE_UPDATES/approval_<id>.json",
				"# the audit segment holds baseline_proposed, baseline_approved and baseline_applied for each",
			},
		},
		{
			ID:    ControlAvailability,
			Title: "Availability against SLOs and the SLA clocks",
			Description: "Monthly uptime, error budget, freeze, incidents with MTTD/MTTA/MTTR, RTO and RPO per service, " +
				"and the SRE runbook's three SLA clocks (operator review, maker-checker approval, observation of exceptions) with every breach.",
			Reperform: []string{
				"jq '.services, .breaches' runs/CREDIT_REVIEWS/sla_<month>.json",
				"# each operator_review item names the audit entry (audit_seq, audit_hash) that shows its publication time",
			},
		},
		{
			ID:    ControlIntegrity,
			Title: "Integrity of the evidence",
			Description: "Every report and record has a SHA-256 sidecar and an Ed25519 signature by the key in keys/signing.pub " +
				"(or, when signed before a key rotation, by the retired key its index entry names as signature_key_id, in keys/retired/); " +
				"the audit segment is a contiguous, hash-chained run of the audit log that chains from audit.prev_hash; index.json lists every file's hash and is itself signed.",
			Reperform: []string{
				"ledgerlens verify --pubkey /path/to/your/signing.pub <bundle>.zip  # offline, with the key you obtained out of band",
				"s=$(mktemp) && base64 -d F.sig > \"$s\" && openssl pkeyutl -verify -pubin -inkey /path/to/your/signing.pub -rawin -in F -sigfile \"$s\"",
				"# walk audit/segment.jsonl with the jq recipe of INDEX.md, starting from audit.prev_hash",
				"# ledgerlens verify checks audit/checkpoint (a C2SP tlog-checkpoint signed note) with the key, and audit/proofs.json: inclusion of each record of publication, consistency from each report's audit_checkpoint",
			},
		},
	}
}

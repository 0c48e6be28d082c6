// Package audit keeps ledgerlens's tamper-evident audit trail (docs/COMPLIANCE.md, "Integrity"): an
// append-only file, .ledgerlens/audit.jsonl, of hash-chained JSON entries.
//
// # Format
//
// One JSON object per line, each line ending in "\n". Every entry has the
// reserved keys
//
//	seq    1 for the first entry, then +1 per line, no gaps
//	time   when it was appended, RFC 3339 in UTC (from an injected clock)
//	event  what happened (see the Event constants)
//	prev   the hash of the previous entry; 64 "0" characters for seq 1
//	hash   hex SHA-256 of prev followed by C, where C is the canonical JSON
//	       of the entry without its "hash" and "sig" keys
//	sig    (on a root with a signing key) base64 Ed25519 signature, by
//	       that key, of EntrySigningMessage(hash): the line
//	       "ledgerlens/audit/entry", a newline, the hash, a newline
//
// and, beside them, the event's own fields (any other key). The chain
// shows that no entry was edited, removed or reordered; sig shows who
// appended an entry. Anyone who can write the file can append a line that
// chains; only the key's holder can sign one. A verifier holding the
// public key therefore refuses an entry without a valid sig unless a
// signed checkpoint (below) covers it: entries written before a root had
// a key, or by an older ledgerlens, are vouched for by the first
// checkpoint signed after them, never by themselves.
//
// # Canonical JSON
//
// C is what Go's encoding/json Encoder with SetEscapeHTML(false) writes for
// the entry's object, minus the trailing newline, after decoding the line
// with json.Decoder.UseNumber:
//
//   - object keys sorted by the bytes of their UTF-8 encoding, at every level;
//     arrays keep their order;
//   - no whitespace outside strings;
//   - numbers written exactly as they appear in the line (ledgerlens writes
//     integers, and decimals in Go's shortest form, e.g. 12.34);
//   - strings as UTF-8, escaping only '"' and '\' as \" and \\, the controls
//     \b \f \n \r \t as such, other bytes below 0x20 as \u00XX (lower-case
//     hex), and U+2028, U+2029 as \u2028, \u2029. '<', '>' and '&' are NOT
//     escaped (Go's default HTML escaping is disabled).
//
// Lines are written in this canonical form (with "hash" in its sorted place),
// but the hash is defined on the decoded content, so a verifier need not
// compare bytes of the line.
//
// # Verifying without ledgerlens
//
// For logs whose strings contain no DEL (0x7f), U+2028 or U+2029 and whose
// numbers are integers below 2^53 or plain decimals, jq's sorted compact
// output (jq -cSj) equals C, so an auditor can re-perform the chain with
// jq and sha256sum. ledgerlens writes integers and plain decimals, and
// refuses those characters in the text a person gives it (a name, a
// reason); a path or a ledger value holding one (a run id) is recorded
// as it is, since reports and files name it so, and this recipe then
// reports the log broken at that entry, where `ledgerlens audit verify`
// (Go's encoding) holds it: Go writes DEL raw and escapes the separators,
// jq the reverse.
//
//	prev=0000000000000000000000000000000000000000000000000000000000000000
//	n=0
//	while IFS= read -r line; do
//	  n=$((n+1))
//	  want=$(printf '%s' "$line" | jq -r .hash)
//	  got=$( { printf '%s' "$prev"; printf '%s' "$line" | jq -cSj 'del(.hash, .sig)'; } |
//	         sha256sum | cut -d' ' -f1 )
//	  seq=$(printf '%s' "$line" | jq .seq)
//	  if [ "$got" != "$want" ] || [ "$seq" != "$n" ]; then
//	    echo "broken at line $n"; exit 1
//	  fi
//	  prev=$want
//	done < .ledgerlens/audit.jsonl
//	echo "ok: $n entries, head $prev"
//
// and an entry's signature with OpenSSL (3.0 or later):
//
//	printf 'ledgerlens/audit/entry\n%s\n' "$(jq -r .hash <<<"$line")" > m
//	jq -r .sig <<<"$line" | base64 -d > s.bin
//	openssl pkeyutl -verify -pubin -inkey signing.pub -rawin -in m -sigfile s.bin
//
// with the key that appended the entry. On a log whose key was rotated
// that is not always signing.pub: the current key signs the entries from
// the newest key_rotated entry on (that entry included), the key it
// retired (keys/retired/<from_key_id>.pub, and from_public_key in the
// entry) those before it, and so on back. Each key_rotated entry carries
// the retired key's word for its successor, from_key_sig, an Ed25519
// signature of RotationStatement, which this checks by hand ($line being
// the key_rotated entry, old.pub the retired key):
//
//	jq -j '"ledgerlens/key-rotation\n\(.from_key_id)\n\(.to_key_id)\n\(.to_public_key)\n"' <<<"$line" > m
//	jq -r .from_key_sig <<<"$line" | base64 -d > s.bin
//	openssl pkeyutl -verify -pubin -inkey old.pub -rawin -in m -sigfile s.bin
//
// Because the running prev (not the line's own "prev") prefixes the hash
// input, an edited, deleted, inserted or reordered line breaks the chain at
// that line. Truncation at a line boundary leaves a valid shorter chain; the
// transparency log below detects it.
//
// # Transparency log
//
// The entries are also the leaves of a Merkle tree (Tree), hashed with
// golang.org/x/mod/sumdb/tlog (RFC 6962): leaf i is the entry with seq i+1,
// its leaf hash SHA-256(0x00 ‖ LeafData), LeafData being the line without
// its newline (jq -cSj . prints it). At the end of every job ledgerlens
// signs a checkpoint of the log — the C2SP tlog-checkpoint signed note
//
//	ledgerlens/audit/<key id>
//	<size>
//	<base64 root hash>
//
//	— ledgerlens/audit/<key id> <base64 signature>
//
// made with golang.org/x/mod/sumdb/note and the job's Ed25519 key — and
// appends it to .ledgerlens/audit.checkpoints (one JSON object per line,
// the note under "note"). State.Check fails a log that is shorter than, or
// whose first <size> entries do not hash to the root of, any checkpoint;
// inclusion and consistency proofs let an evidence bundle prove its
// entries belong to the checkpointed log (docs/COMPLIANCE.md).
//
// # Scope
//
// The package owns the file format, appending (O_APPEND + fsync, one line
// per write), verification, the Merkle tree and checkpoints. It must not
// decide which events a job writes or interpret their fields. It never
// rewrites the log; the one repair it makes, RepairTornTail, only completes
// or cuts a torn last line left by a crash mid-append and records what it
// did (audit_tail_repaired). Appends from several processes must be
// serialised by the caller (pipeline/lock); the log re-reads its head when
// the file changed under it, so a stale head never forks the chain.
package audit

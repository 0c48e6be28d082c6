-- Every conflicting duplicate the store holds: a later ledger line that
-- repeats an earlier line's run id with different content. These are
-- integrity problems until an operator acknowledges them
-- (docs/RULES.md, "Integrity problems").
SELECT line_no, first_line_no, run_id
FROM duplicates
WHERE kind = 'duplicate_conflicting'
ORDER BY line_no;

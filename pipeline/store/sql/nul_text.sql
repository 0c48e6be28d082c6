-- The stored ledger text values that hold U+0000, which versions before
-- 10 loaded (ledger.CodeNULInText): the coded columns' text, the other
-- text columns of ledger_rows and the risk flags.
SELECT (SELECT count(*) FROM text_codes WHERE strpos(value, chr(0)) > 0)
     + (SELECT count(*) FROM ledger_rows
        WHERE strpos(run_id, chr(0)) > 0
           OR strpos(artifacts_link, chr(0)) > 0
           OR strpos(risk_summary, chr(0)) > 0
           OR strpos(deployment_timestamp, chr(0)) > 0
           OR strpos(notion_case_id, chr(0)) > 0
           OR len(list_filter(risk_flags, f -> strpos(f, chr(0)) > 0)) > 0)

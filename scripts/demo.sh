#!/usr/bin/env bash
# make demo: `ledgerlens demo` (fixtures → key → weekly job → verification →
# where the outputs are), then the same checks with stock tools an auditor
# would use, and a few ad-hoc queries. Safe to re-run.
set -euo pipefail
bin=$1 root=$2
"$bin" demo --out "$root"

reviews="$root/runs/CREDIT_REVIEWS"
week=$(sed -n 's/.*"focus_week": "\([0-9-]*\)".*/\1/p' "$root/expected.json")
echo
echo "== the same checks with stock tools (no ledgerlens needed)"
(cd "$reviews" && sha256sum -c "weekly_$week.json.sha256" "weekly_$week.xlsx.sha256")
if command -v openssl >/dev/null; then
  sig=$(mktemp)
  base64 -d "$reviews/weekly_$week.json.sig" > "$sig"
  openssl pkeyutl -verify -pubin -inkey "$root/.ledgerlens/keys/signing.pub" -rawin \
    -in "$reviews/weekly_$week.json" -sigfile "$sig"
  rm -f "$sig"
fi

echo
echo "== ad-hoc SQL over the store (the runbook's jq questions)"
"$bin" --root "$root" query "SELECT severity, count(*) AS runs FROM runs GROUP BY 1 ORDER BY 1"
"$bin" --root "$root" query "SELECT scenario_id, round(sum(credits_total), 2) AS total FROM runs WHERE ts_utc >= DATE '$week' AND ts_utc < DATE '$week' + INTERVAL 7 DAY GROUP BY 1 ORDER BY 2 DESC LIMIT 5"
if command -v jq >/dev/null; then
  echo
  echo "== jq on the report, as in the runbook"
  jq -c '.top_scenarios_by_total[] | {scenario_id, total_credits, run_count, variance_multiplier}' "$reviews/weekly_$week.json"
fi

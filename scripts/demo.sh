#!/usr/bin/env bash
# make demo: fixtures → signing key → weekly job → verification → where the
# outputs are. Safe to re-run: the fixtures are deterministic, an existing
# key is kept, and a re-run of the weekly job is a no-op.
set -euo pipefail
bin=$1 root=$2 week=$3
ll() { "$bin" --root "$root" "$@"; }

echo "== fixtures (deterministic: 200,000 runs over 8 weeks)"
"$bin" fixtures generate --runs 200000 --weeks 8 --start 2026-01-05 --seed 1 --out "$root"

echo "== signing key"
if [ -f "$root/.ledgerlens/keys/signing.key" ]; then
  echo "kept existing key $root/.ledgerlens/keys/signing.key"
else
  ll keys generate
fi

echo "== weekly review for the week of $week"
ll report weekly --week "$week"

echo "== verification"
reviews="$root/runs/CREDIT_REVIEWS"
ll verify "$reviews/weekly_$week.json" "$reviews/weekly_$week.xlsx"
(cd "$reviews" && sha256sum -c "weekly_$week.json.sha256" "weekly_$week.xlsx.sha256")
if command -v openssl >/dev/null; then
  sig=$(mktemp)
  base64 -d "$reviews/weekly_$week.json.sig" > "$sig"
  openssl pkeyutl -verify -pubin -inkey "$root/.ledgerlens/keys/signing.pub" -rawin \
    -in "$reviews/weekly_$week.json" -sigfile "$sig"
  rm -f "$sig"
fi
ll audit verify
ll verify ledger

echo "== a few ad-hoc queries"
ll query "SELECT severity, count(*) AS runs FROM runs GROUP BY 1 ORDER BY 1"
ll query "SELECT scenario_id, round(sum(credits_total), 2) AS total FROM runs WHERE ts_utc >= DATE '$week' AND ts_utc < DATE '$week' + INTERVAL 7 DAY GROUP BY 1 ORDER BY 2 DESC LIMIT 5"

echo "== the runbook's jq questions against the report"
if command -v jq >/dev/null; then
  jq -c '.top_scenarios_by_total[] | {scenario_id, total_credits, run_count, variance_multiplier}' "$reviews/weekly_$week.json"
  jq -c '.policy_violations[] | {type, severity, run_id, case_id, scenario_id}' "$reviews/weekly_$week.json"
fi

echo
echo "Outputs:"
ls -1 "$reviews" | sed "s#^#  $reviews/#"
echo "  audit log: $root/.ledgerlens/audit.jsonl"
echo "  store:     $root/.ledgerlens/ledger.duckdb (try: $bin --root $root query \"SELECT count(*) FROM runs\")"

#!/usr/bin/env bash
# The 1M-event import rate of an earlier commit against this checkout, alternating runs so that a
# machine whose load drifts touches both sides alike. Each side runs its own bench/imports.ts.
#
#   bench/imports-before-after.sh [BEFORE_REF]     # default 01336c9, the last commit before imports moved onto src/jobs
#   BENCH_PAIRS (3), BENCH_EVENTS (1000000), BENCH_DATABASE_URL: passed through
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
before_ref=${1:-01336c9}
pairs=${BENCH_PAIRS:-3}
scratch=$(mktemp -d)
cleanup() { git -C "$here" worktree remove --force "$scratch/before" >/dev/null 2>&1 || true; rm -rf "$scratch"; }
trap cleanup EXIT

git -C "$here" worktree add --detach "$scratch/before" "$before_ref" >/dev/null 2>&1
# its own dependencies: packages came and went since
(cd "$scratch/before" && npm ci --prefer-offline --no-audit --no-fund >/dev/null && npm run --silent db:generate >/dev/null && npm run --silent codegen >/dev/null)

# one run: prints the events/s of the big import, or fails with the run's log
rate_of() {
  local dir=$1 log="$scratch/run-$RANDOM.log"
  if ! (cd "$dir" && npx tsx bench/imports.ts >"$log" 2>&1); then
    echo "the bench in $dir failed; its log:" >&2; tail -30 "$log" >&2; exit 1
  fi
  grep -o 'COMPLETED in [^—]*— [0-9,]* events/s' "$log" | grep -o '[0-9,]* events/s' | tr -d ', events/'
}

printf '%-5s %-9s %12s %12s %7s %s\n' pair order before after ratio load
declare -a ratios=()
for ((pair = 1; pair <= pairs; pair++)); do
  load=$(cut -d' ' -f1 /proc/loadavg)
  if ((pair % 2)); then
    b=$(rate_of "$scratch/before"); a=$(rate_of "$here"); order='B then A'
  else
    a=$(rate_of "$here"); b=$(rate_of "$scratch/before"); order='A then B'
  fi
  ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
  ratios+=("$ratio")
  printf '%-5s %-9s %12s %12s %7s %s\n' "$pair" "$order" "$b" "$a" "$ratio" "$load"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
echo "events/s after / before ($before_ref), median of $pairs pairs: $median (target ≥ 1.00: $(awk -v m="$median" 'BEGIN { print (m >= 1) ? "met" : "not met" }'))"

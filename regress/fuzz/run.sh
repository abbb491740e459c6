#!/bin/sh
# Run one libFuzzer harness and keep what it found and its figures.
#
# usage: run.sh FUZZER TARGET SECONDS RUNS [libFuzzer flags...]
#        run.sh -s HISTORY
#
# The fuzzer starts from the hand-written seeds, regress/fuzz/TARGET,
# and from what earlier runs found, regress/fuzz/corpus/TARGET; it
# grows a scratch corpus in RUNS/corpus/TARGET, and a crash lands in
# RUNS/crashes/.  After the run, libFuzzer's merge keeps in
# regress/fuzz/corpus/TARGET the smallest set of inputs that adds
# coverage beyond the seeds: it is committed, so the next run, on
# whatever machine, goes on from there, and make check replays it.
# Each run adds one line to regress/fuzz/history (date, target,
# seconds, executions, coverage, features, status), so the time a
# target has been fuzzed in all is there to read: run.sh -s sums it.

set -u

if [ "${1:-}" = -s ]; then
	[ -f "${2:-}" ] || { echo "no fuzz runs in ${2:-?}"; exit 0; }
	printf '%-12s %5s %8s %12s %6s %6s %7s\n' target runs seconds \
	    executions cov ft failed
	awk '/^#/ { next }
	{ s[$2] += $3; e[$2] += $4; r[$2]++
	    cov[$2] = $5; ft[$2] = $6; if ($7 != "ok") bad[$2]++ }
	END { for (t in s) printf "%-12s %5d %8d %12d %6d %6d %7d\n", t,
	    r[t], s[t], e[t], cov[t], ft[t], bad[t] }' "$2" | sort
	exit 0
fi

[ $# -ge 4 ] || { echo "usage: run.sh FUZZER TARGET SECONDS RUNS" \
    "[flags...]" >&2; exit 2; }
fuzzer=$1 target=$2 seconds=$3 runs=$4
shift 4
seeds=regress/fuzz/$target
kept=regress/fuzz/corpus/$target
history=regress/fuzz/history

mkdir -p "$runs/corpus/$target" "$runs/crashes" "$runs/logs" "$kept" ||
    exit 1
log=$runs/logs/$target-$(date -u +%Y%m%dT%H%M%S).log
echo "fuzz_$target: $seconds s"
start=$(date +%s)
"$fuzzer" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$runs/crashes/$target-" "$@" \
    "$runs/corpus/$target" "$kept" "$seeds" >"$log" 2>&1
status=$?
elapsed=$(( $(date +%s) - start ))

# The last status line carries coverage; the final stats the executions.
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
line=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
cov=$(printf '%s\n' "$line" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
ft=$(printf '%s\n' "$line" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
if [ $status -eq 0 ]; then result=ok; else result=exit$status; fi
printf '%s %s %s %s %s %s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "$target" "$elapsed" "${execs:-0}" "${cov:-0}" "${ft:-0}" "$result" \
    >>"$history"
printf '%s\n' "$line"
if [ $status -ne 0 ]; then
	echo "fuzz_$target failed: see $log" >&2
	tail -30 "$log" >&2
	exit $status
fi

# Merge into a folder that holds the seeds first, so that only inputs
# adding coverage beyond them are kept; then drop the seeds again.
merged=$runs/merge/$target
rm -rf "$merged" && mkdir -p "$merged" || exit 1
cp "$seeds"/* "$merged"/ || exit 1
"$fuzzer" -merge=1 "$@" "$merged" "$kept" "$runs/corpus/$target" \
    >"$log.merge" 2>&1 || { echo "fuzz_$target: merge failed: see" \
    "$log.merge" >&2; exit 1; }
# The merge leaves out an input that crashes, and says so: a finding.
if grep -q -E 'CRASH|ERROR: ' "$log.merge"; then
	echo "fuzz_$target: an input crashed during the merge: see" \
	    "$log.merge" >&2
	exit 1
fi
for f in "$seeds"/*; do
	rm -f "$merged/${f##*/}"
done
rm -rf "$kept" && mv "$merged" "$kept" || exit 1
echo "fuzz_$target: $(ls "$kept" | wc -l) inputs kept in $kept"

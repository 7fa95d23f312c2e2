# Sourced by the benchmarks/run*.sh scripts: set up and build, make the 260 MB corpus if
# missing, pick the results file, warm the page cache. Sets build, corpus, results, tmp.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build=${DJ_BUILD_DIR:-build}
corpus=benchmarks/corpus/bench.jsonl
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
scripts/setup >/dev/null
[ -f "$corpus" ] || python3 benchmarks/make_corpus.py "$corpus" "${DJ_BENCH_MB:-256}"
results=benchmarks/results/$(date +%Y-%m-%d)-$(hostname).jsonl
mkdir -p benchmarks/results
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat "$corpus" >/dev/null   # read from the page cache: the numbers measure CPU, not disk

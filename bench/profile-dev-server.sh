#!/usr/bin/env bash
# Where the Temporal dev server spends its CPU while it runs the product's workflow shape with nothing inside
# (bench/child-floor.ts). The floor, not the connector, bounds the Temporal ÷ baseline ratio of a first load (README,
# "Benchmarks"); this says which parts of the server that floor is made of. Needs `perf` (and permission to record
# another process: root, or kernel.perf_event_paranoid <= 1) and Go (the symbolizer uses the standard library only).
#
#   bash bench/profile-dev-server.sh [--employees N] [--kind child-activity|child-local-activity|partition-activities]
#
# Prints the profile and writes it to bench/results/dev-server-profile-<kind>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

employees=600
kind=child-activity
while [ $# -gt 0 ]; do
  case "$1" in
    --employees) employees=$2; shift 2 ;;
    --kind) kind=$2; shift 2 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v perf >/dev/null || { echo "perf is not installed (Debian: apt-get install linux-perf)" >&2; exit 1; }
command -v go >/dev/null || { echo "go is not installed: the symbolizer is a Go program" >&2; exit 1; }

npm run build --silent
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd bench/dev-server-profile && go build -o "$work/symbolize" .)

node dist/bench/child-floor.js --employees "$employees" --kind "$kind" > "$work/floor.log" 2>&1 &
floor=$!
server=
for _ in $(seq 1 600); do
  server=$(pgrep -P "$floor" -f 'server start-dev' | head -1 || true)
  [ -n "$server" ] && break
  sleep 0.1
done
[ -n "$server" ] || { cat "$work/floor.log" >&2; echo "the floor benchmark started no dev server" >&2; exit 1; }
binary=$(readlink -f "/proc/$server/exe")
# Frame pointers (Go keeps them) give the call stacks; perf stops by itself when the server exits.
perf record --quiet -F 499 -g -p "$server" -o "$work/perf.data" 2> "$work/perf.log" &
recorder=$!
if ! wait "$floor"; then cat "$work/floor.log" >&2; exit 1; fi
wait "$recorder" || true

mkdir -p bench/results
out="bench/results/dev-server-profile-$kind.txt"
{
  echo "command: bash bench/profile-dev-server.sh --employees $employees --kind $kind"
  floorFile="bench/results/child-floor-$employees$([ "$kind" = child-activity ] || echo "-$kind").json"
  echo "floor: $(node -e 'const f = require(require("path").resolve(process.argv[1])); console.log(`${f.employees} employees in ${f.wallSeconds} s, dev server ${f.devServerCpuSeconds} s CPU, worker ${f.workerProcessCpuSeconds} s CPU`)' "$floorFile")"
  perf script -i "$work/perf.data" -F ip,dso 2>/dev/null | "$work/symbolize" "$binary" 40
} > "$out"
cat "$out"
echo "written to $out"

#!/usr/bin/env bash
# Build-time benchmark: what a newcomer waits for on a fresh clone.
#
#   benches/build_time.sh                       # measure HEAD, compare with BASELINE_* below
#   benches/build_time.sh --baseline 3f7f2c3    # measure HEAD and 3f7f2c3 in the same run, interleaved
#   benches/build_time.sh --new <commit> --baseline <commit> [--run-features]
#
# For each commit: a fresh `git clone` into a temp dir and its own fresh CARGO_TARGET_DIR, then
#   1. cold `cargo build`
#   2. cold `cargo test --no-run` after it (the test profile's extra crates and test binaries)
#   3. incremental `cargo build` after touching one file of src/standin/
#   (4. with --run-features: `cargo run -- run features` and `cargo test` wall time, built already)
# Crate downloads come from ~/.cargo (a `cargo fetch` before the clock starts): the figures are
# compile and link time, not network time. Not a `cargo bench`: it needs no Rust of its own and
# must not share the target dir it measures.
#
# With --baseline, the two commits' steps alternate (base build, new build, base test, new test,
# ...) so that load from other processes on a shared machine falls on both alike. The load
# average is printed next to every figure: absolute times on a loaded machine are inflated, the
# ratio in one run is the figure to compare.
set -euo pipefail

# The issue's commit, 3f7f2c3, measured 2026-12-08 in a same-run comparison on 2 quiet cores
# (load about 2; see benches/README.md). Wall seconds, then CPU seconds (user + system): on
# another machine only the CPU figures and a --baseline run compare.
BASELINE_COMMIT=3f7f2c3
BASELINE_BUILD=128.6 BASELINE_BUILD_CPU=217.1
BASELINE_TEST=70.0 BASELINE_TEST_CPU=134.2
BASELINE_INCR=4.1 BASELINE_INCR_CPU=4.5

repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
new=HEAD
base=""
run_features=0
while [ $# -gt 0 ]; do
  case "$1" in
    --baseline) base=$2; shift 2 ;;
    --new) new=$2; shift 2 ;;
    --run-features) run_features=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

declare -A t # <name>.<key> -> "<wall> <cpu>"
work=$(mktemp -d "${TMPDIR:-/tmp}/callspec-build-time.XXXXXX")
trap 'rm -rf "$work"' EXIT

# One clone per commit, each with its own target dir; no wrapper (sccache) may serve old objects.
prepare() { # name commit
  local dir="$work/$1"
  git clone -q --no-checkout "$repo" "$dir"
  git -C "$dir" checkout -q --detach "$(git -C "$repo" rev-parse "$2")"
  (cd "$dir" && CARGO_TARGET_DIR="$work/$1-target" cargo fetch --locked -q)
  echo "$1: $(git -C "$dir" log -1 --format='%h %s' | cut -c1-80)"
}

now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# Times one cargo command in a clone and stores "<wall seconds> <cpu seconds>" in t[<name>.<key>]
# (CPU: user + system of cargo and every rustc and linker it ran); prints the line on stderr.
# Not called in a command substitution, so that a failed build stops the whole run.
timed() { # name key label cargo-args...
  local name=$1 key=$2 label=$3; shift 3
  local log="$work/$name.$key.log" times="$work/$name.$key.time"
  if ! { TIMEFORMAT='%R %U %S'; time (cd "$work/$name" && CARGO_TARGET_DIR="$work/$name-target" \
      RUSTC_WRAPPER= CARGO_BUILD_RUSTC_WRAPPER= cargo "$1" --locked -q "${@:2}" >"$log" 2>&1); } 2>"$times"; then
    echo "$name: cargo $* failed:" >&2
    tail -n 30 "$log" >&2
    exit 1
  fi
  local wall cpu
  wall=$(awk '{ print $1 }' "$times")
  cpu=$(awk '{ print $2 + $3 }' "$times")
  t[$name.$key]="$wall $cpu"
  printf '  %-4s %-22s %7.1f s wall %7.1f s CPU   (load %s)\n' "$name" "$label" "$wall" "$cpu" "$(load)" >&2
}

incr() { # name
  local f
  f=$(cd "$work/$1" && find src/standin -name '*.rs' | sort | head -n 1)
  echo "// touched by build_time.sh" >>"$work/$1/$f"
  timed "$1" incr "incremental build" build
}

units() { # name: crates compiled by the test profile (a proxy that load does not disturb)
  ls "$work/$1-target/debug/deps/"*.rlib 2>/dev/null | wc -l
}

echo "build-time benchmark, $(nproc) cores, load $(load), $(cargo --version)"
prepare new "$new"
[ -n "$base" ] && prepare base "$base"

names=(new)
[ -n "$base" ] && names=(base new)
for name in "${names[@]}"; do timed "$name" build "cold cargo build" build; done
for name in "${names[@]}"; do timed "$name" test "cold test --no-run" test --no-run; done
for name in "${names[@]}"; do incr "$name"; done
if [ "$run_features" -eq 1 ]; then
  for name in "${names[@]}"; do timed "$name" run "run -- run features" run -- run features; done
  for name in "${names[@]}"; do timed "$name" tests "cargo test (built)" test; done
fi

for name in "${names[@]}"; do
  bins=$(find "$work/$name-target/debug/deps" -maxdepth 1 -type f -executable ! -name '*.so' ! -name 'build_script*' | wc -l)
  echo "  $name: $(units "$name") rlibs, $bins executables in target/debug/deps"
done

ratio() { echo "scale=2; $1 / $2" | bc; }
wall() { echo "$1" | cut -d' ' -f1; }
cpu() { echo "$1" | cut -d' ' -f2; }
report() { # label key baseline-wall baseline-cpu
  local n=${t[new.$2]} bw bc
  if [ -n "$base" ]; then bw=$(wall "${t[base.$2]}"); bc=$(cpu "${t[base.$2]}"); else bw=$3; bc=$4; fi
  if [ "$(echo "$bw > 0" | bc)" -eq 1 ]; then
    printf '%-34s wall %7.1f s (baseline %7.1f s, ratio %s)   CPU %7.1f s (baseline %7.1f s, ratio %s)\n' \
      "$1" "$(wall "$n")" "$bw" "$(ratio "$(wall "$n")" "$bw")" "$(cpu "$n")" "$bc" "$(ratio "$(cpu "$n")" "$bc")"
  else
    printf '%-34s wall %7.1f s   CPU %7.1f s\n' "$1" "$(wall "$n")" "$(cpu "$n")"
  fi
}
sum() { echo "$(echo "$(wall "$1") + $(wall "$2")" | bc) $(echo "$(cpu "$1") + $(cpu "$2")" | bc)"; }
echo
echo "result ($([ -n "$base" ] && echo "baseline $base measured in this run" || echo "baseline $BASELINE_COMMIT as recorded"), load now $(load)):"
report "cold cargo build" build "$BASELINE_BUILD" "$BASELINE_BUILD_CPU"
report "cold cargo test --no-run after it" test "$BASELINE_TEST" "$BASELINE_TEST_CPU"
report "incremental (touch src/standin)" incr "$BASELINE_INCR" "$BASELINE_INCR_CPU"
t[new.total]=$(sum "${t[new.build]}" "${t[new.test]}")
[ -n "$base" ] && t[base.total]=$(sum "${t[base.build]}" "${t[base.test]}")
report "both README commands' builds" total "$(echo "$BASELINE_BUILD + $BASELINE_TEST" | bc)" \
  "$(echo "$BASELINE_BUILD_CPU + $BASELINE_TEST_CPU" | bc)"
if [ "$run_features" -eq 1 ]; then
  report "cargo run -- run features (built)" run 0 0
  report "cargo test (built)" tests 0 0
fi

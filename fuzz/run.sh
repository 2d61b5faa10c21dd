#!/usr/bin/env bash
# Coverage-guided fuzzing of the code bad input reaches first (bin/cairn-fuzz is this script).
# The targets are the JUnit fuzz tests (*FuzzTest); `mvn verify` replays each one's corpus in
# the repo as regression tests. This runs them under Jazzer's libFuzzer driver instead:
#
#   cairn-fuzz                         every target for 15 s (what CI does)
#   cairn-fuzz paths wal -runs=10000000 the named targets, with libFuzzer flags after them
#   cairn-fuzz --merge http -runs=...  then merge what added coverage into the repo's corpus
#   cairn-fuzz --list                  the targets
#
# New inputs go to a work corpus in $CAIRN_FUZZ_CACHE (default ~/.cache/cairn-fuzz), seeded
# from the repo's corpus; a finding is written there as crash-*, and the run fails naming it.
# It prints, per target, the executions run and the findings, then "fuzz: N passed, N failed".
# Needs the modules built (mvn -DskipTests install); CAIRN_FUZZ_SKIP_MVN=1 skips that step.
set -uo pipefail

ROOT=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
CACHE=${CAIRN_FUZZ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn-fuzz}

# name  module  class  method
TARGETS="
frames   node    io.cairn.node.transport.ClientFrameFuzzTest  frames
requests node    io.cairn.node.server.RequestHandlerFuzzTest  requests
peer     node    io.cairn.node.transport.PeerMessageFuzzTest  messages
wal      node    io.cairn.node.log.WalReaderFuzzTest          segments
snapshot node    io.cairn.node.log.SnapshotReaderFuzzTest     snapshots
paths    node    io.cairn.node.store.PathGlobFuzzTest         pathsAndGlobs
http     node    io.cairn.node.http.HttpGatewayFuzzTest       requests
sidecar  sidecar io.cairn.sidecar.KeyToFileFuzzTest           keys
"

merge=0 names=() flags=()
for a in "$@"; do
  case "$a" in
    --merge) merge=1 ;;
    --list) echo "$TARGETS" | awk 'NF{print $1 "\t" $3}'; exit 0 ;;
    -*) flags+=("$a") ;;
    *) names+=("$a") ;;
  esac
done
((${#names[@]})) || names=($(echo "$TARGETS" | awk 'NF{print $1}'))
((${#flags[@]})) || flags=(-max_total_time=15)
# Jazzer stops a @FuzzTest's class after five minutes unless told otherwise: a run bounded by
# -runs alone gets a time limit that will not cut it short.
printf '%s\n' "${flags[@]}" | grep -q -- '-max_total_time=' || flags+=(-max_total_time=86400)

if [ "${CAIRN_FUZZ_SKIP_MVN:-}" != 1 ]; then
  (cd "$ROOT" && mvn -q -B -Dstyle.color=never -DskipTests install) || { echo "cairn-fuzz: the build failed" >&2; exit 1; }
fi

declare -A CP
classpath() {  # module → its test class path, worked out once per run
  local m=$1
  if [ -z "${CP[$m]:-}" ]; then
    local f; f=$(mktemp)
    (cd "$ROOT" && mvn -q -B -Dstyle.color=never -pl "$m" dependency:build-classpath -Dmdep.includeScope=test \
        -Dmdep.outputFile="$f") >/dev/null 2>&1 || { echo "cairn-fuzz: no class path for $m" >&2; rm -f "$f"; return 1; }
    CP[$m]="$ROOT/$m/target/test-classes:$ROOT/$m/target/classes:$(cat "$f")"
    rm -f "$f"
  fi
  printf '%s' "${CP[$m]}"
}

passed=0 failed=0
for name in "${names[@]}"; do
  line=$(echo "$TARGETS" | awk -v n="$name" '$1 == n')
  if [ -z "$line" ]; then
    echo "cairn-fuzz: no target $name (try --list)" >&2; failed=$((failed + 1)); continue
  fi
  read -r _ module class method <<<"$line"
  simple=${class##*.} pkg=${class%.*}
  seeds="$ROOT/$module/src/test/resources/${pkg//.//}/${simple}Inputs/$method"
  work="$CACHE/$name/corpus" out="$CACHE/$name/findings"
  mkdir -p "$seeds" "$work" "$out"
  cp_=$(classpath "$module") || { failed=$((failed + 1)); continue; }
  log="$CACHE/$name/last.log"
  # Findings of this run only: one from an earlier run stays in $out until it is dealt with (put
  # in the repo's corpus, the bug fixed), and must not fail every run after.
  marker="$CACHE/$name/.run-start"
  touch "$marker"
  # Logs at ERROR: millions of refused inputs would otherwise each leave a line. The regex
  # road-block hooks only steer inputs through regular expressions, and cost a glob's target
  # more than half its speed; the regex injection sanitizer stays on.
  (cd "$out" && CAIRN_LOG_LEVEL=ERROR java -Xmx1g -XX:+UseSerialGC -cp "$cp_" com.code_intelligence.jazzer.Jazzer \
      --target_class="$class" --instrumentation_includes='io.cairn.**' \
      --disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexRoadblocks \
      -rss_limit_mb=3072 -timeout=60 -print_final_stats=1 "${flags[@]}" "$work" "$seeds") >"$log" 2>&1
  rc=$?
  runs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | sed -E 's/Done ([0-9]+) runs in ([0-9]+) second/\1 executions in \2 s/')
  [ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | sed 's/#/after /')
  crash=$(find "$out" -maxdepth 1 -newer "$marker" -regextype egrep -regex '.*/(crash|timeout|oom|leak)-[^/]*' -printf '%f\n' 2>/dev/null | head -1)
  if [ $rc -eq 0 ] && [ -z "$crash" ]; then
    echo "fuzz $name: ${runs:-?}, no findings"
    passed=$((passed + 1))
    if [ $merge = 1 ]; then
      (cd "$out" && CAIRN_LOG_LEVEL=ERROR java -Xmx1g -cp "$cp_" com.code_intelligence.jazzer.Jazzer \
          --target_class="$class" --instrumentation_includes='io.cairn.**' \
          --disabled_hooks=com.code_intelligence.jazzer.sanitizers.RegexRoadblocks -merge=1 "$seeds" "$work") >"$CACHE/$name/merge.log" 2>&1 \
        && echo "fuzz $name: repo corpus now $(ls "$seeds" | wc -l) inputs ($seeds)"
    fi
  else
    echo "fuzz $name: FAILED (${runs:-?}); finding: ${crash:+$out/$crash}; log: $log"
    grep -E '== Java Exception|Error|Exception' "$log" | head -5 | sed 's/^/  /'
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed -eq 0 ]

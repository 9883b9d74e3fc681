#!/usr/bin/env bash
# Explores every Fuzz* target in the module (or in the packages given as
# arguments) for $FUZZTIME each; go test -fuzz accepts one target per
# invocation, so they are discovered and run in turn.
#
# A failing input is saved by go test under <package>/testdata/fuzz/<target>/
# and the run stops there. Commit that file with the fix: plain `go test`
# (and so `make test`) replays every saved input, deterministically. All
# targets are still tried after a find, so one run reports every failing
# target; the exit status is non-zero if any failed.
set -uo pipefail
FUZZTIME=${FUZZTIME:-60s}
GO=${GO:-go}
pkgs=("$@")
[ ${#pkgs[@]} -gt 0 ] || pkgs=(./...)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
n=0
failed=()
list=$($GO list "${pkgs[@]}") || exit 1
for pkg in $list; do
  for target in $($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz $pkg $target ($FUZZTIME)"
    if ! $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
      cat "$log"
      failed+=("$pkg $target")
    fi
    n=$((n+1))
  done
done
echo "fuzz: $n targets, $FUZZTIME each"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failing targets (new inputs under testdata/fuzz; commit them with the fix):"
  printf '  %s\n' "${failed[@]}"
  git status --short -- '*/testdata/fuzz/*' 2>/dev/null || true
  exit 1
fi

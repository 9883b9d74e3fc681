#!/usr/bin/env bash
# Runs every Fuzz* target in the module for $FUZZTIME each (go test -fuzz
# accepts one target per invocation, so they are discovered and run in turn).
set -euo pipefail
FUZZTIME=${FUZZTIME:-4s}
GO=${GO:-go}
n=0
for pkg in $($GO list ./...); do
  for target in $($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
    echo "fuzz $pkg $target ($FUZZTIME)"
    $GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/smsgw-fuzz.$$.log 2>&1 || {
      cat /tmp/smsgw-fuzz.$$.log; rm -f /tmp/smsgw-fuzz.$$.log; exit 1; }
    n=$((n+1))
  done
done
rm -f /tmp/smsgw-fuzz.$$.log
echo "fuzz: $n targets, $FUZZTIME each"

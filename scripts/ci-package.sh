#!/usr/bin/env bash
# The appliance check: cross builds, qemu-user smoke tests, .deb packages,
# lintian, systemd unit and udev rule checks, and an install/run/purge cycle
# with dpkg. Installs nothing itself (.ci/run does); a missing tool fails.
#
#   scripts/ci-package.sh [STEP...]    STEP: tools build smoke deb lint install systemd (default: all)
#
# The install step needs root (or sudo): it installs the amd64 package on this
# machine, runs the daemon as user smsgw on emulated modems, and purges it.
# The systemd step boots a debootstrapped Debian 12 with systemd-nspawn
# (network access to the Debian mirror in the apt sources) and runs the packaged service there.
set -euo pipefail
cd "$(dirname "$0")/.."

DIST=${DIST:-dist}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
export VERSION
# The PDU of the classic example SMS-DELIVER "How are you?" from +31641600986.
PDU=07911326040000F0040B911346610089F60000208062917314080CC8F71D14969741F977FD07
# The highest `systemd-analyze security` exposure accepted for smsgw.service.
MAX_EXPOSURE=${MAX_EXPOSURE:-2.0}

if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
failures=0
note() { printf '\n=== %s\n' "$*"; }
ok() { printf 'ok   %s\n' "$*"; }
fail() { printf 'FAIL %s\n' "$*"; failures=$((failures + 1)); }
skip() { printf 'SKIP %s\n' "$*"; }

# --- tools -------------------------------------------------------------------
step_tools() {
  note "tools"
  local missing=() t pkg
  while read -r t pkg; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t (Debian package $pkg)")
  done <<'EOF'
go golang (or /usr/local/go)
gcc gcc
aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
arm-linux-gnueabihf-gcc gcc-arm-linux-gnueabihf
arm-linux-gnueabi-gcc gcc-arm-linux-gnueabi
qemu-aarch64 qemu-user
qemu-arm qemu-user
dpkg-deb dpkg
lintian lintian
systemd-analyze systemd
udevadm udev
shellcheck shellcheck
curl curl
umockdev-run umockdev
debootstrap debootstrap
systemd-nspawn systemd-container
readelf binutils
/usr/bin/python3 python3
EOF
  if [ ${#missing[@]} -gt 0 ]; then
    printf 'missing: %s\n' "${missing[@]}"
    exit 1
  fi
  [ -d /usr/aarch64-linux-gnu/lib ] || { echo "missing /usr/aarch64-linux-gnu (libc6-dev-arm64-cross)"; exit 1; }
  [ -d /usr/arm-linux-gnueabihf/lib ] || { echo "missing /usr/arm-linux-gnueabihf (libc6-dev-armhf-cross)"; exit 1; }
  ok "all tools present"
}

# --- build -------------------------------------------------------------------
step_build() {
  note "cross builds (version $VERSION)"
  scripts/cross.sh amd64 arm64 armv7 armv6
  local f
  for f in "$DIST"/smsgw-linux-*; do
    printf '%-28s %s\n' "$f" "$(file -b "$f" 2>/dev/null | cut -d, -f1-2,5 || true)"
  done
}

# runner TARGET: the command prefix that runs a dist binary of TARGET here.
runner() {
  case $1 in
    amd64) echo "" ;;
    arm64) echo "qemu-aarch64 -L /usr/aarch64-linux-gnu" ;;
    armv7) echo "qemu-arm -L /usr/arm-linux-gnueabihf" ;;
    # ARM1176JZF-S is the Pi Zero/1 CPU: any ARMv7-only instruction traps.
    armv6) echo "qemu-arm -cpu arm1176" ;;
  esac
}

has_command() { # BIN... NAME: does the binary's usage list subcommand NAME?
  local name=${*: -1} usage
  # Captured first: grep -q exiting early would SIGPIPE the binary, and
  # pipefail would turn that into "no".
  usage=$("${@:1:$#-1}" help 2>&1 || true)
  grep -qE "^ +$name( |$)" <<<"$usage"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# json_numbers: every "number" string in the JSON on stdin, one a line.
json_numbers() {
  /usr/bin/python3 -c '
import json, sys
def walk(o):
    if isinstance(o, dict):
        for k, v in o.items():
            if k == "number" and isinstance(v, str) and v:
                print(v)
            else:
                walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
walk(json.load(sys.stdin))'
}

# json_has_text TEXT: does the JSON on stdin hold a "text" equal to TEXT?
json_has_text() {
  /usr/bin/python3 -c '
import json, sys
want = sys.argv[1]
def walk(o):
    if isinstance(o, dict):
        return any((k == "text" and v == want) or walk(v) for k, v in o.items())
    if isinstance(o, list):
        return any(walk(v) for v in o)
    return False
sys.exit(0 if walk(json.load(sys.stdin)) else 1)' "$1"
}

# wait_for SECONDS COMMAND...: retry COMMAND every 0.5 s until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 0.5
  done
}

modems_ready() { # URL N
  local n
  n=$(curl -sf "$1/v1/modems" | json_numbers | wc -l)
  [ "$n" -ge "$2" ]
}

inbox_has() { # URL TEXT
  curl -sf "$1/v1/inbox" | json_has_text "$2"
}

# serve_session LABEL MODEMS RSSFILE STORAGE CMD...: start `CMD serve` on
# MODEMS emulated modems, send one SMS from the API to the last modem's
# number, read it back from the inbox, stop with SIGTERM. Writes the idle
# VmRSS (kB, once every modem is ready) to RSSFILE when it is not "-".
# STORAGE is the database path, or "tmp" for one in a temporary directory.
serve_session() {
  local label=$1 modems=$2 rssfile=$3 storage=$4
  shift 4
  local dir port url pid to text rc=0
  dir=$(mktemp -d)
  chmod 0755 "$dir"
  port=$(free_port)
  url=http://127.0.0.1:$port
  printf '[server]\nlisten = "127.0.0.1:%s"\n' "$port" >"$dir/smsgw.toml"
  [ "$storage" != tmp ] || storage=$dir/smsgw.db
  printf '[storage]\npath = "%s"\n' "$storage" >>"$dir/smsgw.toml"
  chmod 0644 "$dir/smsgw.toml"
  "$@" serve --config "$dir/smsgw.toml" --simulate "$modems" >"$dir/log" 2>&1 &
  pid=$!
  text="smoke $label $$ ✓"
  if ! wait_for 90 curl -sf "$url/healthz"; then
    fail "$label: API did not answer on $url"
    rc=1
  elif ! wait_for 90 modems_ready "$url" "$modems"; then
    fail "$label: $modems emulated modems not listed with numbers in /v1/modems"
    rc=1
  else
    if [ "$rssfile" != - ]; then
      sleep 3
      awk '/^VmRSS/ {print $2}' "/proc/$pid/status" >"$rssfile"
    fi
    to=$(curl -sf "$url/v1/modems" | json_numbers | tail -1)
    if ! curl -sf -H 'Content-Type: application/json' \
      -d "{\"to\":\"$to\",\"text\":\"$text\"}" "$url/v1/messages" >"$dir/post"; then
      fail "$label: POST /v1/messages refused: $(cat "$dir/post")"
      rc=1
    elif ! wait_for 120 inbox_has "$url" "$text"; then
      fail "$label: \"$text\" sent to $to never reached /v1/inbox"
      rc=1
    else
      ok "$label: sent to $to through the API and read back from the inbox"
    fi
  fi
  kill -TERM "$pid" 2>/dev/null || true
  local waited=0
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 60 ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    fail "$label: still running 30 s after SIGTERM"
    kill -KILL "$pid" 2>/dev/null || true
    rc=1
  fi
  wait "$pid" 2>/dev/null || true
  if [ $rc != 0 ]; then
    echo "--- $label daemon log:"
    tail -40 "$dir/log"
  fi
  rm -rf "$dir"
  return 0
}

# --- smoke -------------------------------------------------------------------
step_smoke() {
  local t bin out
  for t in arm64 armv7 armv6; do
    note "smoke $t under $(runner "$t")"
    bin=$DIST/smsgw-linux-$t
    [ -x "$bin" ] || { fail "$bin missing (run the build step)"; continue; }
    # shellcheck disable=SC2046 # the runner prefix is meant to split
    set -- $(runner "$t") "$bin"
    # Stamped: the commit built (the version may differ by "-dirty"), a date.
    if out=$("$@" version 2>&1) && grep -q "(commit $(git rev-parse --short HEAD), built 20" <<<"$out" &&
      ! grep -q '^smsgw dev ' <<<"$out" && grep -q "linux/arm" <<<"$out"; then
      ok "$t version: $out"
    else
      fail "$t version: $out"
    fi
    if ! has_command "$@" pdu; then
      skip "$t pdu decode: this build has no pdu subcommand yet"
    elif out=$("$@" pdu decode "$PDU" 2>&1) && grep -q '"How are you?"' <<<"$out" && grep -q '+31641600986' <<<"$out"; then
      ok "$t pdu decode"
    else
      fail "$t pdu decode: $out"
    fi
    if has_command "$@" serve; then
      serve_session "$t serve" 2 - tmp "$@"
    else
      skip "$t serve: this build has no serve subcommand yet"
    fi
  done
  # The arm1176 guard must have teeth: Debian's armhf (ARMv7) build traps there.
  note "armv6 guard"
  if qemu-arm -cpu arm1176 -L /usr/arm-linux-gnueabihf "$DIST/smsgw-linux-armv7" version >/dev/null 2>&1; then
    fail "the ARMv7 build ran on an emulated ARM1176: the armv6 check proves nothing"
  else
    ok "the ARMv7 build traps on ARM1176, the ARMv6 build runs"
  fi
}

# --- deb ---------------------------------------------------------------------
step_deb() {
  note "packages"
  scripts/deb.sh amd64 arm64 armhf
}

deb_file() { find "$DIST" -maxdepth 1 -name "smsgw_*_$1.deb" | sort | tail -1; }

# --- lint --------------------------------------------------------------------
step_lint() {
  note "lintian"
  local a d
  for a in amd64 arm64 armhf; do
    d=$(deb_file "$a")
    [ -n "$d" ] || { fail "no $a package"; continue; }
    if lintian --fail-on error --no-tag-display-limit "$d"; then
      ok "lintian $d (no errors)"
    else
      fail "lintian $d"
    fi
  done
  note "shellcheck"
  if shellcheck scripts/*.sh contrib/udev/test-rules.sh && shellcheck -s sh packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm contrib/integrations/*.sh; then
    ok "shellcheck"
  else
    fail "shellcheck"
  fi
}

# --- install -----------------------------------------------------------------
pkg_has() { dpkg -L smsgw 2>/dev/null | grep -qx "$1"; }
mode_is() { [ "$(stat -c %U:%G:%a "$1")" = "$2" ]; }
owner_is() { [ "$(stat -c %U "$1")" = "$2" ]; }

check() { # DESCRIPTION COMMAND...
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then ok "$what"; else fail "$what"; fi
}

step_install() {
  note "install the amd64 package"
  local d
  d=$(deb_file amd64)
  [ -n "$d" ] || { fail "no amd64 package"; return; }
  if dpkg -s smsgw >/dev/null 2>&1; then
    fail "smsgw is already installed here; refusing to test over it"
    return
  fi
  $SUDO dpkg -i "$d"
  check "installed" dpkg -s smsgw
  local f
  for f in /usr/bin/smsgw /etc/smsgw/smsgw.toml /lib/systemd/system/smsgw.service /lib/systemd/system/smsgw.socket \
    /lib/udev/rules.d/77-smsgw.rules /lib/udev/rules.d/40-smsgw-modeswitch.rules /usr/lib/modules-load.d/smsgw.conf \
    /usr/share/man/man1/smsgw.1.gz /usr/share/doc/smsgw/copyright /usr/share/doc/smsgw/changelog.gz \
    /usr/share/smsgw/integrations/smsgw-notify.sh /usr/share/smsgw/integrations/home-assistant.sh \
    /usr/share/smsgw/integrations/grafana-to-sms.py; do
    check "file $f" pkg_has "$f"
  done
  check "conffile /etc/smsgw/smsgw.toml" grep -qx /etc/smsgw/smsgw.toml /var/lib/dpkg/info/smsgw.conffiles
  check "system user smsgw" getent passwd smsgw
  check "smsgw has no login shell" sh -c 'getent passwd smsgw | grep -q ":/usr/sbin/nologin$"'
  check "smsgw is in group dialout" sh -c 'id -nG smsgw | tr " " "\n" | grep -qx dialout'
  check "/var/lib/smsgw is smsgw:smsgw 0750" mode_is /var/lib/smsgw smsgw:smsgw:750
  check "/etc/smsgw/smsgw.toml is root:smsgw 0640" mode_is /etc/smsgw/smsgw.toml root:smsgw:640
  check "service enabled for multi-user.target" test -L /etc/systemd/system/multi-user.target.wants/smsgw.service
  check "socket not enabled" test ! -e /etc/systemd/system/sockets.target.wants/smsgw.socket
  check "installed binary runs" /usr/bin/smsgw version

  note "systemd units"
  local man=--man=no
  command -v man >/dev/null && man=--man=yes
  if out=$(systemd-analyze verify "$man" /lib/systemd/system/smsgw.service /lib/systemd/system/smsgw.socket 2>&1) && [ -z "$out" ]; then
    ok "systemd-analyze verify smsgw.service smsgw.socket"
  else
    fail "systemd-analyze verify: $out"
  fi
  if out=$(systemd-analyze verify "$man" /usr/share/doc/smsgw/examples/smsgw-grafana.service 2>&1) && [ -z "$out" ]; then
    ok "systemd-analyze verify smsgw-grafana.service (example)"
  else
    fail "systemd-analyze verify smsgw-grafana.service: $out"
  fi
  local score
  score=$(systemd-analyze security --offline=yes /lib/systemd/system/smsgw.service 2>&1 | sed -n 's/.*Overall exposure level for smsgw.service: \([0-9.]*\).*/\1/p')
  if [ -n "$score" ] && awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s <= m) }'; then
    ok "systemd-analyze security smsgw.service: exposure $score (at most $MAX_EXPOSURE)"
  else
    fail "systemd-analyze security smsgw.service: exposure '$score' above $MAX_EXPOSURE"
  fi

  note "udev rules"
  local dev out
  for dev in /sys/class/tty/tty0 /sys/class/mem/null; do [ -e "$dev" ] && break; done
  out=$($SUDO udevadm test --action=add "$dev" 2>&1 || true)
  if ! grep -q 'Reading rules file: .*/77-smsgw.rules' <<<"$out" || ! grep -q 'Reading rules file: .*/40-smsgw-modeswitch.rules' <<<"$out"; then
    fail "udevadm test did not read the smsgw rules"
  elif grep -E 'smsgw(-modeswitch)?\.rules:[0-9]' <<<"$out"; then
    fail "udevadm reports problems in the smsgw rules (above)"
  else
    ok "udev rules parse cleanly (udevadm test)"
  fi
  # Fake Huawei, Quectel, SIMCom, Telit and FTDI devices through the
  # installed rules: ModemManager flag, /dev/smsgw links, hands off others.
  if $SUDO contrib/udev/test-rules.sh; then
    ok "udev rules behave (contrib/udev/test-rules.sh on the installed rules)"
  else
    fail "udev rules behaviour (contrib/udev/test-rules.sh)"
  fi

  note "run as user smsgw on emulated modems"
  if has_command /usr/bin/smsgw serve; then
    # setpriv execs the daemon itself (no wrapper to forward signals). The
    # database goes to the package's /var/lib/smsgw, under a name other than
    # the default: with emulated modems and the default path, the daemon
    # keeps its database in the simulation's temporary directory.
    local rss
    rss=$(mktemp)
    serve_session "installed package, user smsgw, 4 emulated modems" 4 "$rss" /var/lib/smsgw/ci-smoke.db \
      $SUDO setpriv --reuid=smsgw --regid=smsgw --init-groups --inh-caps=-all /usr/bin/smsgw
    [ -s "$rss" ] && printf 'idle RSS with 4 emulated modems: %s kB\n' "$(cat "$rss")"
    rm -f "$rss"
    check "the database is in /var/lib/smsgw, owned by smsgw" owner_is /var/lib/smsgw/ci-smoke.db smsgw
  else
    skip "serve: this build has no serve subcommand yet"
  fi

  note "reinstall (upgrade path), then purge"
  $SUDO dpkg -i "$d" >/dev/null
  check "reinstall keeps the service enabled" test -L /etc/systemd/system/multi-user.target.wants/smsgw.service
  $SUDO dpkg --purge smsgw
  check "purged" sh -c '! dpkg -s smsgw'
  for f in /usr/bin/smsgw /etc/smsgw /var/lib/smsgw /lib/systemd/system/smsgw.service /lib/udev/rules.d/77-smsgw.rules \
    /etc/systemd/system/multi-user.target.wants/smsgw.service; do
    check "gone: $f" test ! -e "$f"
  done
  check "no stat override left" sh -c '! dpkg-statoverride --list /etc/smsgw/smsgw.toml'
}

# --- systemd -----------------------------------------------------------------
# The package under a real systemd: a Debian 12 root made by debootstrap,
# booted with systemd-nspawn. The test unit inside checks the hardened
# service (notify, status, no capabilities, seccomp, NoNewPrivs), an SMS
# through the API on emulated modems, a restart after SIGKILL, socket
# activation through smsgw.socket, and a purge with systemd running.
step_systemd() {
  note "systemd: boot a Debian 12 container with the amd64 package"
  local d base work
  d=$(deb_file amd64)
  [ -n "$d" ] || { fail "no amd64 package"; return; }
  # Outside the module: a whole Debian tree under dist/ would slow `go list ./...`.
  base=${NSPAWN_DIR:-/var/tmp/smsgw-nspawn}/base
  work=${NSPAWN_DIR:-/var/tmp/smsgw-nspawn}/work
  if [ ! -x "$base/bin/systemctl" ]; then
    $SUDO rm -rf "$base"
    # The same Debian mirror this machine's apt uses (first non-security URI).
    local mirror
    mirror=${DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | grep -v security | head -n 1)}
    [ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
    [ -n "$mirror" ] || { fail "no Debian mirror found in the apt sources (set DEBIAN_MIRROR)"; return; }
    $SUDO debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,adduser,curl \
      bookworm "$base" "$mirror" >"$DIST/nspawn-debootstrap.log" 2>&1 ||
      { fail "debootstrap (log: $DIST/nspawn-debootstrap.log)"; return; }
  fi
  $SUDO rm -rf "$work"
  $SUDO cp -a "$base" "$work"
  $SUDO cp "$d" "$work/root/smsgw.deb"
  $SUDO chroot "$work" dpkg -i /root/smsgw.deb >/dev/null
  $SUDO sed -i 's/^#modems = 2$/modems = 2/' "$work/etc/smsgw/smsgw.toml"
  $SUDO tee "$work/root/citest.sh" >/dev/null <<'CITEST'
#!/bin/sh
# Runs inside the booted container; writes /root/result, then powers off.
exec >/root/result 2>&1
api=http://127.0.0.1:8787
for i in $(seq 1 60); do curl -sf $api/healthz >/dev/null && break; sleep 1; done
for i in $(seq 1 60); do [ "$(curl -sf $api/v1/modems | grep -o '"state":"ready"' | wc -l)" -ge 2 ] && break; sleep 1; done
systemctl show smsgw -p ActiveState -p StatusText
pid=$(systemctl show smsgw -p MainPID --value)
grep -E '^(VmRSS|CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/$pid/status
curl -s -H 'Content-Type: application/json' -d '{"to":"+15550100002","text":"under systemd"}' $api/v1/messages >/dev/null
for i in $(seq 1 60); do curl -sf $api/v1/inbox | grep -q '"under systemd"' && { echo INBOX_OK; break; }; sleep 1; done
kill -KILL "$pid"
for i in $(seq 1 30); do
  [ "$(systemctl show smsgw -p NRestarts --value)" -ge 1 ] && curl -sf $api/healthz >/dev/null && { echo RESTARTED_OK; break; }
  sleep 1
done
# Socket activation: systemd owns 127.0.0.1:8787, the first request starts
# the daemon, which serves on the passed socket.
systemctl stop smsgw
systemctl enable --now smsgw.socket
curl -sf -m 60 $api/healthz >/dev/null && [ "$(systemctl is-active smsgw)" = active ] &&
  journalctl -u smsgw.socket --no-pager | grep -q . && echo SOCKET_OK
dpkg --purge smsgw >/dev/null 2>&1 && echo PURGE_OK
systemctl is-active smsgw.socket || true
systemctl is-active smsgw || true
[ ! -e /var/lib/smsgw ] && [ ! -e /etc/smsgw ] && [ ! -e /lib/systemd/system/smsgw.service ] &&
  [ ! -e /etc/systemd/system/sockets.target.wants/smsgw.socket ] && echo GONE_OK
journalctl -u smsgw --no-pager | tail -15
systemctl poweroff
CITEST
  $SUDO chmod 0755 "$work/root/citest.sh"
  printf '[Unit]\nAfter=smsgw.service\n[Service]\nType=oneshot\nExecStart=/root/citest.sh\n' |
    $SUDO tee "$work/etc/systemd/system/citest.service" >/dev/null
  $SUDO ln -sf /etc/systemd/system/citest.service "$work/etc/systemd/system/multi-user.target.wants/citest.service"
  # nspawn refuses to clean up a propagation directory that is not on tmpfs
  # (as /run is not in some containers): give it one in a private namespace.
  # shellcheck disable=SC2016 # expanded by the inner sh
  $SUDO timeout 240 unshare -m sh -c 'mkdir -p /run/systemd/nspawn && mount -t tmpfs none /run/systemd/nspawn &&
    exec systemd-nspawn --quiet --register=no --keep-unit -D "$1" -b --console=pipe' sh "$work" >"$DIST/nspawn-boot.log" 2>&1 || true
  local r=$work/root/result before=$failures want
  if [ ! -s "$r" ]; then
    fail "the container did not run its test (boot log: $DIST/nspawn-boot.log)"
    return
  fi
  for want in 'ActiveState=active' '^StatusText=..*' '^CapEff:[[:space:]]*0+$' '^CapBnd:[[:space:]]*0+$' \
    '^NoNewPrivs:[[:space:]]*1$' '^Seccomp:[[:space:]]*2$' INBOX_OK RESTARTED_OK SOCKET_OK PURGE_OK GONE_OK; do
    if grep -Eq "$want" "$r"; then ok "under systemd: $want"; else fail "under systemd: $want"; fi
  done
  grep -E '^(StatusText|VmRSS)' "$r" || true
  if [ $failures -gt "$before" ]; then
    echo "--- container result:"
    cat "$r"
  fi
}

steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(tools build smoke deb lint install systemd)
t0=$SECONDS
for s in "${steps[@]}"; do
  case $s in
    tools | build | smoke | deb | lint | install | systemd) "step_$s" ;;
    *) echo "unknown step $s (tools build smoke deb lint install systemd)" >&2; exit 2 ;;
  esac
done
note "done in $((SECONDS - t0)) s, $failures failure(s)"
[ $failures = 0 ]

#!/usr/bin/env bash
# Cross-builds smsgw for the Raspberry Pi family with cgo (mattn/go-sqlite3)
# through Debian's cross compilers, stamped with version, commit and date.
#
#   scripts/cross.sh [TARGET...]     TARGET: amd64 arm64 armv7 armv6 (default: arm64 armv7 armv6)
#
# Output: dist/smsgw-linux-<TARGET>. Needs (Debian 12): gcc-aarch64-linux-gnu,
# gcc-arm-linux-gnueabihf, gcc-arm-linux-gnueabi (and their libc6-dev-*-cross).
#
# Targets:
#   arm64  Pi 3/4/5 and Zero 2 W on a 64-bit OS. aarch64-linux-gnu-gcc, dynamic glibc.
#   armv7  Pi 2/3/4/5 on a 32-bit OS, Debian armhf. arm-linux-gnueabihf-gcc,
#          GOARM=7, dynamic glibc. Debian armhf is ARMv7+VFPv3-D16+Thumb-2 by
#          definition: its crt1.o, libgcc and libc carry ARMv7-only code, so this
#          binary dies with SIGILL on a Pi Zero/1 (ARM1176, ARMv6).
#   armv6  Pi Zero/Zero W/1 (and every other 32-bit Pi). Debian's armhf compiler
#          cannot honestly produce ARMv6 code: -march=armv6 fixes our objects but
#          not the ARMv7 startup files and libgcc it links in. Debian armel is
#          ARMv5TE, which ARMv6 executes, so we use arm-linux-gnueabi-gcc with
#          -march=armv6 -mfpu=vfp -mfloat-abi=softfp (VFP in SQLite, soft-float
#          calling convention compatible with the armel libraries) and GOARM=6,
#          and link statically: a Raspberry Pi OS system has no armel loader
#          (/lib/ld-linux.so.3), and a static binary does not care about the
#          userland float ABI. Static glibc is fine because the binary never
#          needs NSS (netgo, osusergo) or dlopen (sqlite_omit_load_extension).
#          ci-package.sh runs it under `qemu-arm -cpu arm1176`, which traps any
#          ARMv7 instruction. The armhf .deb ships this binary, since dpkg calls
#          both ARMv6 and ARMv7 Raspberry Pi OS systems "armhf".
#   amd64  the build host's arch, for the amd64 .deb (host gcc, dynamic glibc).
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
PKG=${PKG:-./cmd/smsgw}
DIST=${DIST:-dist}
VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
# Reproducible by default: the commit's date, not the wall clock.
DATE=${DATE:-$(date -u -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)" +%Y-%m-%dT%H:%M:%SZ)}
LDFLAGS="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}"

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(arm64 armv7 armv6)

need() {
  command -v "$1" >/dev/null 2>&1 || {
    echo "cross.sh: $1 not found; install Debian package $2" >&2
    exit 1
  }
}

build() {
  local target=$1 out="$DIST/smsgw-linux-$1"
  local -a env tags=()
  local ldflags=$LDFLAGS
  # Hardened like a Debian binary (lintian checks): position-independent
  # (ASLR), full RELRO with immediate binding, fortified C (SQLite).
  local mode=-buildmode=pie
  ldflags="$ldflags -linkmode external -extldflags=-Wl,-z,relro,-z,now"
  local cflags="-O2 -g -D_FORTIFY_SOURCE=2"
  case $target in
    amd64)
      need gcc gcc
      env=(GOARCH=amd64 CC=gcc "CGO_CFLAGS=$cflags") ;;
    arm64)
      need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
      env=(GOARCH=arm64 CC=aarch64-linux-gnu-gcc "CGO_CFLAGS=$cflags") ;;
    armv7)
      need arm-linux-gnueabihf-gcc gcc-arm-linux-gnueabihf
      env=(GOARCH=arm GOARM=7 CC=arm-linux-gnueabihf-gcc "CGO_CFLAGS=$cflags") ;;
    armv6)
      need arm-linux-gnueabi-gcc gcc-arm-linux-gnueabi
      env=(GOARCH=arm GOARM=6 CC=arm-linux-gnueabi-gcc
        "CGO_CFLAGS=$cflags -march=armv6 -mfpu=vfp -mfloat-abi=softfp -marm")
      tags=(netgo osusergo sqlite_omit_load_extension)
      ldflags="$LDFLAGS -linkmode external -extldflags -static"
      mode=-buildmode=exe ;;
    *)
      echo "cross.sh: unknown target $target (amd64 arm64 armv7 armv6)" >&2
      exit 2 ;;
  esac
  mkdir -p "$DIST"
  local t0=$SECONDS
  local tagarg=()
  [ ${#tags[@]} -eq 0 ] || tagarg=(-tags "$(IFS=,; echo "${tags[*]}")")
  env GOOS=linux CGO_ENABLED=1 "${env[@]}" \
    "$GO" build -trimpath "$mode" "${tagarg[@]}" \
    -ldflags "$ldflags" \
    -o "$out" "$PKG"
  printf '%-28s %9d bytes  %3ds\n' "$out" "$(stat -c %s "$out")" $((SECONDS - t0))
}

for t in "${targets[@]}"; do
  build "$t"
done

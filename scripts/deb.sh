#!/usr/bin/env bash
# Builds Debian packages of smsgw with dpkg-deb from a staged tree (no
# debhelper): binary, conffile, systemd units, udev rules, man page, docs and
# maintainer scripts from packaging/.
#
#   scripts/deb.sh [ARCH...]      ARCH: amd64 arm64 armhf (default: all three)
#
# Output: dist/smsgw_<version>_<arch>.deb. Binaries come from dist/ (built by
# scripts/cross.sh when missing):
#   amd64 -> dist/smsgw-linux-amd64   (dynamic glibc)
#   arm64 -> dist/smsgw-linux-arm64   (dynamic glibc)
#   armhf -> dist/smsgw-linux-armv6   (static, ARMv6+VFP): Raspberry Pi OS
#            32-bit is "armhf" on ARMv6 boards (Pi Zero/1) as on ARMv7 ones,
#            and only this build runs on both; see scripts/cross.sh.
# Environment: DEB_VERSION (default from git), DEB_MAINTAINER.
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
DIST=${DIST:-dist}
MAINTAINER=${DEB_MAINTAINER:-smsgw maintainers <smsgw@example.org>}
# Reproducible: every date comes from the last commit.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

# A Debian version from git: tag v1.2.3 -> 1.2.3; commits after it ->
# 1.2.3+git5.abc1234; no tag -> 0.0~git20261121.abc1234 (sorts before 0.0).
debian_version() {
  local desc hash
  hash=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  if desc=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
    desc=${desc#v}
    if [[ $desc =~ ^(.*)-([0-9]+)-g[0-9a-f]+$ ]]; then
      echo "${BASH_REMATCH[1]}+git${BASH_REMATCH[2]}.$hash"
    else
      echo "$desc"
    fi
  else
    echo "0.0~git$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d).$hash"
  fi
}
VERSION=${DEB_VERSION:-$(debian_version)}

# The newest GLIBC_x.y symbol version a dynamic binary needs, for Depends.
glibc_min() {
  readelf --version-info --wide "$1" 2>/dev/null |
    grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1
}

# License of a Go module directory, as a Debian short name.
license_of() {
  local f=$1
  if grep -q 'Apache License' "$f" && grep -q 'Version 2.0' "$f"; then echo Apache-2.0
  elif grep -q 'Permission is hereby granted, free of charge' "$f"; then echo Expat
  elif grep -q 'Redistribution and use in source and binary forms' "$f"; then
    if grep -q 'Neither the name' "$f"; then echo BSD-3-Clause; else echo BSD-2-Clause; fi
  elif grep -qi 'Mozilla Public License' "$f"; then echo MPL-2.0
  else echo other; fi
}

# Module cache paths escape capitals: BurntSushi -> !burnt!sushi.
modcache_dir() {
  local p
  p=$(sed -E 's/([A-Z])/!\L\1/g' <<<"$1")
  echo "$($GO env GOMODCACHE)/$p@$2"
}

# One DEP-5 text block: every line indented, blank lines as " .".
indent() { sed -e 's/[[:space:]]*$//' -e 's/^$/./' -e 's/^/ /'; }

write_copyright() {
  local bin=$1 out=$2
  declare -A texts=()
  {
    echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
    echo "Upstream-Name: smsgw"
    echo "Comment: smsgw is one statically linked Go program; this file lists"
    echo " its own license and that of every Go module and C library built into"
    echo " /usr/bin/smsgw (from \`go version -m /usr/bin/smsgw\`)."
    echo
    echo "Files: *"
    echo "Copyright: the smsgw authors"
    if [ -f LICENSE ]; then
      local own
      own=$(license_of LICENSE)
      echo "License: $own"
      [ "$own" = Apache-2.0 ] || texts[$own]=$(indent <LICENSE)
    else
      echo "License: smsgw"
      texts[smsgw]=" No license file accompanies this build: all rights reserved by the"$'\n'" authors until one is chosen."
    fi
    echo
    local goroot
    goroot=$($GO env GOROOT)
    echo "Files: go-standard-library/*"
    echo "Copyright: $(grep -m1 '^Copyright' "$goroot/LICENSE" | sed 's/^Copyright (c) //; s/^Copyright //')"
    echo "License: BSD-3-Clause"
    echo "Comment: The Go runtime and standard library, $($GO env GOVERSION)."
    echo
    [ -n "${texts[BSD-3-Clause]+x}" ] || texts[BSD-3-Clause]=$(indent <"$goroot/LICENSE")
    local path ver dir lic lf cr text
    while read -r kind path ver _; do
      [ "$kind" = dep ] || continue
      dir=$(modcache_dir "$path" "$ver")
      lf=$(find "$dir" -maxdepth 1 \( -name "LICENSE*" -o -name "COPYING*" \) -print 2>/dev/null | sort | head -1)
      if [ -z "$lf" ]; then
        echo "deb.sh: no license file for $path $ver in $dir" >&2
        exit 1
      fi
      lic=$(license_of "$lf")
      # One License paragraph per distinct text: BSD and MIT texts carry
      # their holders' names, so a second text gets a name of its own.
      text=$(indent <"$lf")
      if [ "$lic" = other ] || [ "$lic" = MPL-2.0 ]; then
        lic="$lic~${path//\//-}"
        texts[$lic]=$text
      elif [ "$lic" != Apache-2.0 ]; then
        if [ -z "${texts[$lic]+x}" ]; then
          texts[$lic]=$text
        elif [ "${texts[$lic]}" != "$text" ]; then
          lic="$lic~${path//\//-}"
          texts[$lic]=$text
        fi
      fi
      cr=$(grep -h '^ *Copyright' "$lf" | grep -vi 'copyright notice\|copyright owner\|copyright license\|copyright holder\|copyright (c) <' |
        sed -E 's/^ *Copyright *(\(c\)|©)? *//I' | sort -u | paste -sd'\n' - || true)
      [ -n "$cr" ] || cr="the $path authors"
      echo "Files: $path/*"
      echo "Copyright: $(sed '2,$s/^/ /' <<<"$cr")"
      echo "License: $lic"
      echo "Comment: Go module $path $ver."
      echo
      if [ "$path" = github.com/mattn/go-sqlite3 ]; then
        echo "Files: $path/sqlite3-binding.c"
        echo "Copyright: none (public domain)"
        echo "License: public-domain-sqlite"
        echo "Comment: The SQLite amalgamation built into the binary."
        echo
        texts[public-domain-sqlite]=" The author disclaims copyright to this source code. In place of a legal"$'\n'" notice, here is a blessing: May you do good and not evil. May you find"$'\n'" forgiveness for yourself and forgive others. May you share freely, never"$'\n'" taking more than you give."
      fi
    done < <($GO version -m "$bin" | sed 's/^\t//')
    echo "License: Apache-2.0"
    echo " On Debian systems the full text of the Apache License 2.0 is in"
    echo " /usr/share/common-licenses/Apache-2.0."
    local k
    for k in $(printf '%s\n' "${!texts[@]}" | sort); do
      echo
      echo "License: $k"
      printf '%s\n' "${texts[$k]}"
    done
  } >"$out"
}

build_deb() {
  local arch=$1 target bin static=no
  case $arch in
    amd64) target=amd64 ;;
    arm64) target=arm64 ;;
    armhf) target=armv6; static=yes ;;
    *) echo "deb.sh: unknown arch $arch (amd64 arm64 armhf)" >&2; exit 2 ;;
  esac
  bin=$DIST/smsgw-linux-$target
  [ -x "$bin" ] || scripts/cross.sh "$target"

  local stage=$DIST/deb/$arch
  rm -rf "$stage"
  local r=$stage/root
  install -d "$r/DEBIAN"
  install -D -m 0755 "$bin" "$r/usr/bin/smsgw"
  install -D -m 0644 packaging/smsgw.toml "$r/etc/smsgw/smsgw.toml"
  install -D -m 0644 systemd/smsgw.service "$r/lib/systemd/system/smsgw.service"
  install -D -m 0644 systemd/smsgw.socket "$r/lib/systemd/system/smsgw.socket"
  install -D -m 0644 contrib/udev/77-smsgw.rules "$r/lib/udev/rules.d/77-smsgw.rules"
  install -D -m 0644 contrib/udev/40-smsgw-modeswitch.rules "$r/lib/udev/rules.d/40-smsgw-modeswitch.rules"
  install -D -m 0644 contrib/udev/smsgw-modules.conf "$r/usr/lib/modules-load.d/smsgw.conf"
  install -d "$r/usr/share/man/man1"
  gzip -9n <packaging/smsgw.1 >"$r/usr/share/man/man1/smsgw.1.gz"

  local doc=$r/usr/share/doc/smsgw
  install -d "$doc/examples/usb_modeswitch.d"
  install -m 0644 README.md "$doc/README.md"
  install -m 0644 contrib/udev/usb_modeswitch.d/12d1:1f01 "$doc/examples/usb_modeswitch.d/"
  # Integration scripts are run (by the daemon or by a monitoring system),
  # so they live outside /usr/share/doc.
  local f
  for f in contrib/integrations/*; do
    case $f in
      *.sh) install -D -m 0755 "$f" "$r/usr/share/smsgw/integrations/$(basename "$f")" ;;
      # Run as `python3 FILE` (smsgw-grafana.service does): python3 is not a
      # dependency of the package, so the file is not executable on its own.
      *.py) install -D -m 0644 "$f" "$r/usr/share/smsgw/integrations/$(basename "$f")" ;;
      *.cfg | *.conf | *.service | *.example) install -m 0644 "$f" "$doc/examples/" ;;
    esac
  done
  write_copyright "$bin" "$doc/copyright"
  {
    echo "smsgw ($VERSION) unstable; urgency=medium"
    echo
    echo "  * Package built from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)."
    echo "    See the git history for changes."
    echo
    echo " -- $MAINTAINER  $(date -u -R -d "@$SOURCE_DATE_EPOCH")"
  } | gzip -9n >"$doc/changelog.gz"

  if [ "$static" = yes ]; then
    install -d "$r/usr/share/lintian/overrides"
    # ARMv6 cannot be reached with Debian's armhf toolchain (ARMv7 startup
    # files and libgcc); the armel toolchain is used instead and its libc
    # does not exist on an armhf system, hence static (scripts/cross.sh).
    echo "smsgw: statically-linked-binary [usr/bin/smsgw]" >"$r/usr/share/lintian/overrides/smsgw"
    chmod 0644 "$r/usr/share/lintian/overrides/smsgw"
  fi

  install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$r/DEBIAN/"
  echo /etc/smsgw/smsgw.toml >"$r/DEBIAN/conffiles"

  local depends="adduser"
  if [ "$static" = no ]; then
    local g
    g=$(glibc_min "$bin")
    if [ -n "$g" ]; then depends="libc6 (>= $g), $depends"; fi
  fi
  local size
  size=$(du -sk --exclude=DEBIAN "$r" | cut -f1)
  cat >"$r/DEBIAN/control" <<EOF
Package: smsgw
Version: $VERSION
Architecture: $arch
Maintainer: $MAINTAINER
Installed-Size: $size
Depends: $depends
Recommends: usb-modeswitch
Suggests: curl
Section: net
Priority: optional
Description: SMS gateway daemon for USB and serial GSM modems
 smsgw owns a pool of USB or serial GSM modems (Huawei, Quectel, SIMCom,
 ZTE, Telit and others speaking AT commands), keeps every outgoing and
 incoming SMS in an SQLite queue that survives crashes and power cuts,
 spreads sending across the modems, and offers a local HTTP API
 (android-sms-gateway and Kannel compatible) and a command-line client.
 Received messages are handed to a program or posted to webhooks.
 .
 The package runs the daemon as a sandboxed systemd service under its own
 user, keeps ModemManager off the modems it owns with udev rules and gives
 their ports stable names under /dev/smsgw/.
EOF
  (cd "$r" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) >"$r/DEBIAN/md5sums"
  chmod 0644 "$r/DEBIAN/control" "$r/DEBIAN/conffiles" "$r/DEBIAN/md5sums"
  find "$r" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

  local out=$DIST/smsgw_${VERSION}_${arch}.deb
  dpkg-deb --root-owner-group -Zxz --build "$r" "$out" >/dev/null
  printf '%-44s %9d bytes\n' "$out" "$(stat -c %s "$out")"
}

archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(amd64 arm64 armhf)
for a in "${archs[@]}"; do
  build_deb "$a"
done

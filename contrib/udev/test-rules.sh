#!/usr/bin/env bash
# Behaviour test of 77-smsgw.rules: fake USB modems (umockdev) go through
# `udevadm test`, and the properties and /dev/smsgw links it reports are
# checked. Needs root, udevadm (udev) and umockdev-run (umockdev).
#
#   contrib/udev/test-rules.sh            test the installed rules (/lib/udev/rules.d)
#   contrib/udev/test-rules.sh DIR        test DIR/77-smsgw.rules instead, laid over
#                                         /etc/udev/rules.d in a private mount namespace
set -euo pipefail

if [ $# -gt 0 ] && [ "${1:-}" != --inner ]; then
  dir=$(cd "$1" && pwd)
  # shellcheck disable=SC2016 # expanded by the inner bash
  exec unshare -m bash -c 'mount -t tmpfs none /etc/udev/rules.d && cp "$1"/*.rules /etc/udev/rules.d/ && exec "$0" --inner' "$0" "$dir"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0

# device FILE VID PID IFNUM PROTO TTY DRIVER: a USB modem on bus 1, hub port
# 1.3, with one serial interface IFNUM (class ff, protocol PROTO) whose port
# is TTY, bound to DRIVER (option: ttyUSB through usb-serial; cdc_acm: ttyACM).
device() {
  local f=$1 vid=$2 pid=$3 ifnum=$4 proto=$5 tty=$6 driver=$7
  local usb=/devices/platform/soc/usb1/1-1/1-1.3
  local intf=$usb/1-1.3:1.$((10#$ifnum))
  {
    if [ "$driver" = option ]; then
      printf 'P: %s/%s/tty/%s\nN: %s\nE: DEVNAME=/dev/%s\nE: MAJOR=188\nE: MINOR=0\nE: SUBSYSTEM=tty\nA: dev=188:0\\n\n\n' "$intf" "$tty" "$tty" "$tty" "$tty"
      printf 'P: %s/%s\nE: DRIVER=option1\nE: SUBSYSTEM=usb-serial\nL: driver=../../../../../../../../bus/usb-serial/drivers/option1\nA: port_number=0\\n\n\n' "$intf" "$tty"
    else
      printf 'P: %s/tty/%s\nN: %s\nE: DEVNAME=/dev/%s\nE: MAJOR=166\nE: MINOR=0\nE: SUBSYSTEM=tty\nA: dev=166:0\\n\n\n' "$intf" "$tty" "$tty" "$tty"
    fi
    printf 'P: %s\nE: DEVTYPE=usb_interface\nE: DRIVER=%s\nE: SUBSYSTEM=usb\nL: driver=../../../../../../../bus/usb/drivers/%s\n' "$intf" "$driver" "$driver"
    printf 'A: bInterfaceClass=ff\\n\nA: bInterfaceSubClass=02\\n\nA: bInterfaceNumber=%s\\n\nA: bInterfaceProtocol=%s\\n\n\n' "$ifnum" "$proto"
    printf 'P: %s\nN: bus/usb/001/005\nE: DEVNAME=/dev/bus/usb/001/005\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\n' "$usb"
    printf 'L: driver=../../../../../../bus/usb/drivers/usb\nA: idVendor=%s\\n\nA: idProduct=%s\\n\nA: bcdDevice=0102\\n\n' "$vid" "$pid"
    printf 'A: manufacturer=Modem\\n\nA: product=Mobile\\n\nA: serial=0123456789ABCDEF\\n\nA: busnum=1\\n\nA: devnum=5\\n\n\n'
    printf 'P: /devices/platform/soc/usb1/1-1\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\nA: idVendor=2109\\n\nA: idProduct=3431\\n\n\n'
    printf 'P: /devices/platform/soc/usb1\nE: DEVTYPE=usb_device\nE: DRIVER=usb\nE: SUBSYSTEM=usb\nA: idVendor=1d6b\\n\nA: idProduct=0002\\n\n\n'
    printf 'P: /devices/platform/soc\nE: SUBSYSTEM=platform\n'
  } >"$f"
}

# expect NAME VID PID IFNUM PROTO TTY DRIVER EVENT WANT...: each WANT is
# KEY=VALUE (a property), !KEY (no such property) or link:NAME /
# !link:NAME (a /dev/smsgw link made or not). EVENT is tty or usb.
expect() {
  local name=$1 f=$work/$1.umockdev path out w
  device "$f" "$2" "$3" "$4" "$5" "$6" "$7"
  if [ "$8" = tty ]; then
    path=$(sed -n '1s/^P: //p' "$f")
  else
    path=/devices/platform/soc/usb1/1-1/1-1.3
  fi
  shift 8
  out=$(umockdev-run -d "$f" -- udevadm test --action=add "/sys$path" 2>&1 || true)
  local links
  links=$(sed -n 's/^DEVLINKS=//p' <<<"$out" | tr ' ' '\n')
  for w in "$@"; do
    case $w in
      link:*) grep -qx "/dev/smsgw/${w#link:}" <<<"$links" || { echo "FAIL $name: no link /dev/smsgw/${w#link:}"; fails=$((fails + 1)); } ;;
      '!link:'*) ! grep -q "^/dev/smsgw/${w#!link:}" <<<"$links" || { echo "FAIL $name: unexpected link /dev/smsgw/${w#!link:}"; fails=$((fails + 1)); } ;;
      '!'*) ! grep -q "^${w#!}=" <<<"$out" || { echo "FAIL $name: unexpected $(grep "^${w#!}=" <<<"$out")"; fails=$((fails + 1)); } ;;
      *) grep -qx "$w" <<<"$out" || { echo "FAIL $name: want $w"; fails=$((fails + 1)); } ;;
    esac
  done
  grep -q 'Reading rules file: .*/77-smsgw.rules' <<<"$out" || { echo "FAIL $name: 77-smsgw.rules not read"; fails=$((fails + 1)); }
  echo "checked $name: $(tr '\n' ' ' <<<"$links")"
}

#      name                 VID  PID  if proto tty     driver  event  expectations
expect huawei-pcui          12d1 1001 02 02    ttyUSB2 option  tty    SMSGW_MODEM=1 ID_MM_DEVICE_IGNORE=1 SMSGW_USB=1-1.3 SMSGW_PORT=at link:usb1-1.3-if02 link:usb1-1.3-at
expect huawei-ppp-port      12d1 1001 00 01    ttyUSB0 option  tty    ID_MM_DEVICE_IGNORE=1 link:usb1-1.3-if00 '!link:usb1-1.3-at' '!SMSGW_PORT'
expect huawei-usb-device    12d1 1001 02 02    ttyUSB2 option  usb    SMSGW_MODEM=1 ID_MM_DEVICE_IGNORE=1
expect quectel-ec25-at      2c7c 0125 02 ff    ttyUSB2 option  tty    ID_MM_DEVICE_IGNORE=1 link:usb1-1.3-if02 link:usb1-1.3-at
expect quectel-ec25-gps     2c7c 0125 01 ff    ttyUSB1 option  tty    ID_MM_DEVICE_IGNORE=1 link:usb1-1.3-if01 '!link:usb1-1.3-at'
expect simcom-sim7600-at    1e0e 9001 02 ff    ttyUSB2 option  tty    ID_MM_DEVICE_IGNORE=1 link:usb1-1.3-at
expect telit-acm            1bc7 1201 00 ff    ttyACM0 cdc_acm tty    ID_MM_DEVICE_IGNORE=1 link:usb1-1.3-if00 '!link:usb1-1.3-at'
expect ftdi-not-ours        0403 6001 00 ff    ttyUSB0 option  tty    '!SMSGW_MODEM' '!ID_MM_DEVICE_IGNORE' '!link:usb1-1.3-if00'

if [ $fails -gt 0 ]; then
  echo "udev rules: $fails failure(s)"
  exit 1
fi
echo "udev rules: all cases pass"

#!/usr/bin/python3
"""Time stamps as gammu reads them, for the leniency cross-check of modem/pdu.

Reads one hex PDU (with SMSC) per line on stdin and writes one JSON list per
line: the "Decoding date & time" lines of gammu's debug log for that PDU
(python-gammu's datetimes drop the zone, the log keeps it), or
{"error": "..."}. Run with Debian's /usr/bin/python3 (python3-gammu).
"""
import binascii
import io
import json
import sys
import tempfile

import gammu


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        with tempfile.TemporaryFile(mode="w+") as log:
            gammu.SetDebugFile(log)
            gammu.SetDebugLevel("textall")
            try:
                gammu.DecodePDU(binascii.unhexlify(line), True)
            except Exception as e:  # report, keep going
                gammu.SetDebugFile(None)
                sys.stdout.write(json.dumps({"error": "%s: %s" % (type(e).__name__, e)}) + "\n")
                continue
            gammu.SetDebugFile(None)
            log.seek(0)
            prefix = "Decoding date & time: "
            times = [l[len(prefix):].strip() for l in log if l.startswith(prefix)]
        sys.stdout.write(json.dumps(times) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Counts SMS parts with python3-gammu, the independent codec of the quote
cross-check (api/quote_gammu_test.go).

Reads one JSON object per line on stdin: {"text": "...", "unicode": bool}
and writes one per line: {"parts": n} (the messages gammu.EncodeSMS cuts
the text into, as a concatenated long text), or {"error": "..."}.
Run with Debian's /usr/bin/python3 (python3-gammu).
"""
import json
import sys

import gammu

for line in sys.stdin:
    req = json.loads(line)
    try:
        smss = gammu.EncodeSMS({
            "Class": -1,
            "Unicode": bool(req.get("unicode")),
            "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": req["text"]}],
        })
        out = {"parts": len(smss)}
    except Exception as e:  # one bad text must not end the run
        out = {"error": str(e)}
    sys.stdout.write(json.dumps(out) + "\n")

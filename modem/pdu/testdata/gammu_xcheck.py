#!/usr/bin/python3
"""Cross-check helper for modem/pdu: python3-gammu as the independent codec.

Reads one JSON object per line on stdin, writes one JSON object per line:
  {"op": "decode", "pdus": ["HEX with SMSC", ...]}
      -> {"text": "...", "parts": n, "number": "...", "class": c}
         (gammu.DecodePDU, LinkSMS, DecodeSMS)
  {"op": "encode", "text": "...", "unicode": bool, "to": "+...", "smsc": "+..."}
      -> {"pdus": ["HEX with SMSC", ...]}   (gammu.EncodeSMS, EncodePDU)
Errors come back as {"error": "..."} so one bad case does not end the run.
Run with Debian's /usr/bin/python3 (python3-gammu).
"""
import binascii
import json
import sys

import gammu


def decode(req):
    msgs = [gammu.DecodePDU(binascii.unhexlify(h), True) for h in req["pdus"]]
    meta = {"number": msgs[0]["Number"], "class": msgs[0]["Class"]}
    if len(msgs) == 1 and msgs[0]["UDH"]["Type"] == "NoUDH":
        # python-gammu sizes Text by the septet count, so text with escape
        # pairs carries the NUL terminator and stray bytes: cut there.
        return dict(meta, text=msgs[0]["Text"].split("\x00")[0], parts=1)
    linked = gammu.LinkSMS([[m] for m in msgs])
    if len(linked) != 1:
        return {"error": "gammu linked %d sets" % len(linked)}
    info = gammu.DecodeSMS(linked[0])
    if info is None:
        return dict(meta, text="".join(m["Text"].split("\x00")[0] for m in linked[0]), parts=len(linked[0]))
    return dict(meta, text="".join(e["Buffer"] or "" for e in info["Entries"]), parts=len(linked[0]))


def encode(req):
    smss = gammu.EncodeSMS({
        "Class": -1,
        "Unicode": bool(req.get("unicode")),
        "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": req["text"]}],
    })
    out = []
    for s in smss:
        s["Number"] = req.get("to", "+491234567")
        s["SMSC"] = {"Location": 0, "Number": req.get("smsc", "+4917100000")}
        out.append(binascii.hexlify(gammu.EncodePDU(s)).decode().upper())
    return {"pdus": out}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            resp = decode(req) if req["op"] == "decode" else encode(req)
        except Exception as e:  # report, keep going
            resp = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

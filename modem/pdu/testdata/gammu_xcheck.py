#!/usr/bin/python3
"""Cross-check helper for modem/pdu: python3-gammu as the independent codec.

Reads one JSON object per line on stdin, writes one JSON object per line:
  {"op": "decode", "pdus": ["HEX with SMSC", ...]}
      -> {"text": "...", "parts": n, "number": "...", "class": c}
         (gammu.DecodePDU, LinkSMS, DecodeSMS)
  {"op": "encode", "text": "...", "unicode": bool, "to": "+...", "smsc": "+..."}
      -> {"pdus": ["HEX with SMSC", ...]}   (gammu.EncodeSMS, EncodePDU)
  {"op": "parts", "pdus": ["HEX with SMSC", ...]}
      -> {"pieces": [{"coding", "class", "number", "replace", "ies": [[id, "hex"]], "data": "hex"}]}
         (gammu.DecodePDU per part; the header elements are walked here)
  {"op": "encode_raw", "data": "hex", "udh": "hex", "class": c, "to": "+..."}
      -> {"pdus": ["HEX with SMSC"]}   (one 8-bit SMS-SUBMIT, gammu.EncodePDU)
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


def ies(udh):
    out, i = [], 1
    while i + 1 < len(udh):
        n = udh[i + 1]
        out.append([udh[i], binascii.hexlify(udh[i + 2:i + 2 + n]).decode().upper()])
        i += 2 + n
    return out


def parts(req):
    out = []
    for h in req["pdus"]:
        m = gammu.DecodePDU(binascii.unhexlify(h), True)
        text = m["Text"]
        if isinstance(text, str):
            text = text.encode("latin-1", "replace")
        out.append({
            "coding": m["Coding"], "class": m["Class"], "number": m["Number"],
            "replace": m["ReplaceMessage"],
            "ies": ies(m["UDH"]["Text"] or b""),
            "data": binascii.hexlify(text).decode().upper(),
        })
    return {"pieces": out}


def encode_raw(req):
    s = {
        "Type": "Submit", "Folder": 1, "Coding": "8bit", "Class": req.get("class", -1),
        "Text": binascii.unhexlify(req["data"]),
        "Number": req.get("to", "+491234567"),
        "SMSC": {"Location": 0, "Number": req.get("smsc", "+4917100000")},
    }
    if req.get("udh"):
        s["UDH"] = {"Type": "UserUDH", "Text": binascii.unhexlify(req["udh"])}
    return {"pdus": [binascii.hexlify(gammu.EncodePDU(s)).decode().upper()]}


OPS = {"decode": decode, "encode": encode, "parts": parts, "encode_raw": encode_raw}


def main():
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            resp = OPS[req["op"]](req)
        except Exception as e:  # report, keep going
            resp = {"error": "%s: %s" % (type(e).__name__, e)}
        sys.stdout.write(json.dumps(resp) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()

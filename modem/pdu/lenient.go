package pdu

import (
	"fmt"
	"time"
)

// This file holds the decoder's leniency: inputs real devices send that
// TS 23.040 does not allow but other decoders read anyway. Each is read the
// way they read it and noted as a defect on the decoded message; what no
// decoder could make sense of stays an error.

// decodeTimestampLenient reads a TP-SCTS / TP-DT like gammu: each octet
// counts as low nibble * 10 + high nibble whatever the nibbles hold, the
// time zone as (bits 2-0) * 10 + high nibble quarters of an hour (so the
// zone octet 0xC2 a real status report carried is +08:00). A date that is
// still not a date gives the zero time. odd lists what was not as the
// standard has it.
func decodeTimestampLenient(b []byte) (t time.Time, odd []string) {
	var v [6]int
	for i := 0; i < 6; i++ {
		lo, hi := int(b[i]&0x0F), int(b[i]>>4)
		v[i] = lo*10 + hi
		if lo > 9 || hi > 9 {
			odd = append(odd, fmt.Sprintf("octet %d (0x%02X) is not two decimal digits, read as %d", i, b[i], v[i]))
		}
	}
	tzb := b[6]
	q := int(tzb&0x07)*10 + int(tzb>>4)
	if tzb&0x08 != 0 {
		q = -q
	}
	off := q * 15 * 60
	if tzb>>4 > 9 || q > 79 || q < -79 {
		odd = append(odd, fmt.Sprintf("time zone octet 0x%02X is not decimal, read as %s", tzb, zoneText(off)))
	}
	year := 2000 + v[0]
	// Two-digit years: the GSM era began in 1991, so 90-99 are 1990s.
	if v[0] >= 90 && v[0] <= 99 {
		year = 1900 + v[0]
	}
	mo, d := v[1], v[2]
	if mo < 1 || mo > 12 || d < 1 || d > daysIn(year, mo) || v[3] > 23 || v[4] > 59 || v[5] > 59 {
		odd = append(odd, fmt.Sprintf("%02d-%02d-%02d %02d:%02d:%02d is not a date, time stamp left empty", v[0], v[1], v[2], v[3], v[4], v[5]))
		return time.Time{}, odd
	}
	return time.Date(year, time.Month(mo), d, v[3], v[4], v[5], 0, time.FixedZone("", off)), odd
}

func daysIn(year, month int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func zoneText(off int) string {
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off/60%60)
}

// noteDCS notes a TP-DCS that uses reserved values; Coding reads them as
// TS 23.038 tells receivers to (GSM 7-bit).
func noteDCS(r *reader, d DCS) {
	switch {
	case d&0x80 == 0 && !d.Compressed() && (d>>2)&3 == 3:
		r.defect("TP-DCS: 0x%02X names the reserved alphabet, read as GSM 7-bit", byte(d))
	case d>>4 >= 0x8 && d>>4 <= 0xB:
		r.defect("TP-DCS: 0x%02X is in a reserved coding group, read as GSM 7-bit", byte(d))
	case d>>4 >= 0xC && d>>4 <= 0xE && d&0x04 != 0:
		r.defect("TP-DCS: 0x%02X sets a reserved bit, ignored", byte(d))
	}
}

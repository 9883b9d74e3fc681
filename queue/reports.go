package queue

import (
	"strings"

	"smsgw"
)

// ReportStatus is the class of a status report's TP-Status.
type ReportStatus string

// Status report classes (3GPP TS 23.040 9.2.3.15: 0x00-0x1F completed,
// 0x20-0x3F still trying, 0x40-0x7F permanent or temporary-given-up).
const (
	ReportDelivered ReportStatus = "delivered"
	ReportPending   ReportStatus = "pending"
	ReportFailed    ReportStatus = "failed"
)

// Report is a received SMS-STATUS-REPORT, decoded by the caller.
type Report struct {
	Modem     string // the modem that received it (and sent the part)
	MR        int    // TP-MR of the part it reports on; only the low 8 bits count
	Recipient string // TP-RA, the recipient as the SMSC writes it
	Status    ReportStatus
	Code      int // TP-Status
}

// ReportMatch says which part a report was applied to.
type ReportMatch struct {
	MessageID int64
	Seq       int
	State     smsgw.State // the message state afterwards
}

// SameNumber reports whether two phone numbers denote the same subscriber:
// equal digits, or (at 7 digits or more) one is the other without its
// country code or trunk prefix ("+491701234567" and "01701234567").
// An empty number matches anything (some modems omit it in reports).
func SameNumber(a, b string) bool {
	a, b = digitsOnly(a), digitsOnly(b)
	if a == "" || b == "" {
		return true
	}
	if a == b {
		return true
	}
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if a == b {
		return true
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return len(a) >= 7 && strings.HasSuffix(b, a)
}

func digitsOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

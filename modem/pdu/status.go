package pdu

import "fmt"

// Status is TP-ST of an SMS-STATUS-REPORT, TS 23.040 clause 9.2.3.15.
type Status byte

// Frequently tested status values.
const (
	StatusDelivered      Status = 0x00 // short message received by the SME
	StatusForwarded      Status = 0x01 // forwarded, delivery not confirmed
	StatusReplaced       Status = 0x02 // replaced by the SC
	StatusTempCongestion Status = 0x20 // temporary error, SC still trying
	StatusExpired        Status = 0x46 // validity period expired
)

var statusMeanings = map[Status]string{
	0x00: "short message received by the SME",
	0x01: "short message forwarded by the SC to the SME but the SC is unable to confirm delivery",
	0x02: "short message replaced by the SC",
	0x20: "congestion (SC still trying)",
	0x21: "SME busy (SC still trying)",
	0x22: "no response from SME (SC still trying)",
	0x23: "service rejected (SC still trying)",
	0x24: "quality of service not available (SC still trying)",
	0x25: "error in SME (SC still trying)",
	0x40: "remote procedure error",
	0x41: "incompatible destination",
	0x42: "connection rejected by SME",
	0x43: "not obtainable",
	0x44: "quality of service not available",
	0x45: "no interworking available",
	0x46: "SM validity period expired",
	0x47: "SM deleted by originating SME",
	0x48: "SM deleted by SC administration",
	0x49: "SM does not exist",
	0x60: "congestion (SC stopped trying)",
	0x61: "SME busy (SC stopped trying)",
	0x62: "no response from SME (SC stopped trying)",
	0x63: "service rejected (SC stopped trying)",
	0x64: "quality of service not available (SC stopped trying)",
	0x65: "error in SME (SC stopped trying)",
}

// Meaning returns the TS 23.040 text for s, or the range it falls in for
// reserved and SC-specific values.
func (s Status) Meaning() string {
	if m, ok := statusMeanings[s]; ok {
		return m
	}
	switch {
	case s >= 0x10 && s <= 0x1F:
		return "transaction completed (SC specific)"
	case s < 0x20:
		return "transaction completed (reserved)"
	case s >= 0x30 && s <= 0x3F:
		return "temporary error, SC still trying (SC specific)"
	case s < 0x40:
		return "temporary error, SC still trying (reserved)"
	case s >= 0x50 && s <= 0x5F:
		return "permanent error (SC specific)"
	case s < 0x60:
		return "permanent error (reserved)"
	case s >= 0x70 && s <= 0x7F:
		return "temporary error, SC stopped trying (SC specific)"
	case s < 0x80:
		return "temporary error, SC stopped trying (reserved)"
	}
	return fmt.Sprintf("reserved (0x%02X)", byte(s))
}

// Delivered reports whether the transaction completed (0x00-0x1F): the
// message reached the recipient, or was forwarded or replaced.
func (s Status) Delivered() bool { return s < 0x20 }

// Pending reports whether the SC is still trying (temporary error, 0x20-0x3F).
func (s Status) Pending() bool { return s >= 0x20 && s <= 0x3F }

// Failed reports whether the SC has given up (0x40-0x7F) or the value is
// outside every defined range (TS 23.040: treat as failure).
func (s Status) Failed() bool { return s >= 0x40 }

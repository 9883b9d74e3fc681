package queue

import (
	"time"
)

// InboundPart is one received SMS part, with what the caller decoded from
// it. The queue keeps the raw PDU and joins parts by (modem, sender, ref,
// total); it never decodes PDUs itself (see Options.JoinText).
type InboundPart struct {
	Modem  string
	Sender string // TP-OA as decoded (a number or an alphanumeric name)
	Ref    int    // concatenation reference; 0 for a single SMS
	Total  int    // parts in the message; 0 or 1 for a single SMS
	Seq    int    // 1-based; 0 or 1 for a single SMS
	SCTS   time.Time
	// PDU is stored exactly as given and handed back as is to JoinText
	// and in GetInbox; the caller picks the form (the daemon stores the
	// +CMGR/+CMGL form, SMSC address included) and its JoinText decodes
	// that same form.
	PDU []byte
	// Slot is where the part was read from the modem's storage; nil for a
	// part delivered directly (+CMT), which is never a duplicate.
	Slot *Slot
	// Defects lists what the decoder found odd but read anyway; they are
	// carried to the inbox message.
	Defects []string
}

// InboundResult says what AddInboundPart did.
type InboundResult struct {
	// Duplicate: the part's slot was committed with these same bytes and
	// its delete is not confirmed yet (see Slot); nothing changed.
	Duplicate bool
	InboxID   int64 // the joined message, when this part completed it
}

// MaxPDUBytes bounds a stored PDU (a real one is at most 176 bytes).
const MaxPDUBytes = 1024

// InboxMessage is a received (joined) message.
type InboxMessage struct {
	ID     int64
	Modem  string
	From   string
	Text   string
	Coding string
	// Data is the payload of an 8-bit message (Text is then empty);
	// Ports and Class what its header and TP-DCS said, nil when absent.
	Data          []byte
	Ports         *Ports
	Class         *int
	Ref           int
	PartsTotal    int
	PartsReceived int
	// Complete is false when the message was joined after JoinTimeout with
	// parts missing.
	Complete   bool
	Error      string // why Text is empty, if it is
	SentAt     time.Time
	ReceivedAt time.Time
	// Defects lists what the decoder found odd in the parts but read
	// anyway (a time stamp with non-decimal digits, short user data, ...).
	Defects []string
	// Undecodable marks a received PDU that no decoder could read: it was
	// committed raw (PDU as the modem printed it, Error the decoder's
	// error, Storage and Slot where it was) so it could be deleted from
	// the modem. From and Text are empty.
	Undecodable bool
	PDU         string
	Storage     string
	Slot        int // -1 when not read from storage
	// Parts holds the raw PDUs, filled by GetInbox only.
	Parts []ReceivedPart
}

// Joined is the decoded content of a received message (see Options.Join).
type Joined struct {
	Text   string
	Coding string // gsm7, ucs2 or 8bit
	Data   []byte // 8-bit data; Text is then empty
	Ports  *Ports // the application port element, when present
	Class  *int   // the message class of TP-DCS, when present
}

// ReceivedPart is one stored part of an inbox message.
type ReceivedPart struct {
	Seq        int
	PDU        []byte
	SentAt     time.Time
	ReceivedAt time.Time
}

// InboxFilter selects inbox messages. Zero fields do not filter.
type InboxFilter struct {
	Since  time.Time // received at or after
	From   string
	Modem  string
	Cursor int64
	Limit  int // default 50, at most 1000
}

// InboxPage is one page of the inbox, newest first; Next is 0 on the last.
type InboxPage struct {
	Messages []InboxMessage
	Next     int64
}

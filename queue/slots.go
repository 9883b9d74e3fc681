package queue

// Slot is a place in a modem's message storage: the memory ("SM", "ME",
// "SR", ...) and the index AT+CMGR/AT+CMGD take.
//
// A part read from a slot is recorded as "committed, delete pending" in
// the same transaction that stores it. Until SlotDeleted confirms the
// AT+CMGD, reading the same bytes from the same slot again is a duplicate;
// after it, whatever lands in the slot is a new message, even byte for
// byte the same.
type Slot struct {
	Storage string
	Index   int
}

// Validate checks a slot record; a nil slot (the part was not read from
// a SIM slot) is valid.
func (s *Slot) Validate() error {
	switch {
	case s == nil:
		return nil
	case s.Storage == "" || len(s.Storage) > 16:
		return invalid("storage", "a storage name has 1 to 16 bytes")
	case s.Index < 0:
		return invalid("slot", "index %d is negative", s.Index)
	}
	return nil
}

// Undecodable is a received PDU that no decoder could read. It is
// committed raw, so that it can be deleted from the modem (a SIM full of
// unreadable messages receives nothing more), and shows in the inbox.
type Undecodable struct {
	Modem string
	Slot  *Slot  // nil when delivered directly (+CMT, +CDS)
	PDU   string // as the modem printed it (normally hex)
	Err   string // the decoder's error
}

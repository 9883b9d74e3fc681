package sim

// slot is one stored message: the PDU as AT+CMGR prints it (SMSC prefix +
// TPDU) and its 27.005 <stat>.
type slot struct {
	stat int // 0 REC UNREAD, 1 REC READ, 2 STO UNSENT, 3 STO SENT
	pdu  []byte
	tlen int // TPDU octets (the <length> field)
}

// store is one message memory ("SM", "ME", "SR"); it survives power cycles
// and replugs, like a SIM or the module's flash.
type store struct {
	name  string
	slots []*slot
}

func newStore(name string, capacity int) *store {
	return &store{name: name, slots: make([]*slot, capacity)}
}

func (s *store) used() int {
	n := 0
	for _, sl := range s.slots {
		if sl != nil {
			n++
		}
	}
	return n
}

func (s *store) full() bool { return s.used() == len(s.slots) }

// put stores a message in the first free slot and returns its position, or
// -1 when the memory is full.
func (s *store) put(sl *slot) int {
	for i, old := range s.slots {
		if old == nil {
			s.slots[i] = sl
			return i
		}
	}
	return -1
}

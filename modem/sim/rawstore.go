package sim

import (
	"errors"
	"fmt"
)

// ErrStorageFull is StorePDU's answer when the memory has no free slot.
var ErrStorageFull = errors.New("sim: message storage full")

// StorePDU puts a PDU (SMSC field first, as AT+CMGR prints it) into the
// first free slot of memory mem ("SM", "ME", "SR"), as if the modem had
// stored it while nobody listened: no +CMTI is sent. The bytes are kept as
// given, so a test can hold PDUs on the SIM that no decoder accepts (real
// devices do store such). It returns the index as AT+CMGR addresses it.
func (m *Modem) StorePDU(mem string, stat int, raw []byte) (int, error) {
	idx := -1
	var err error
	cerr := m.call(func() {
		s := m.mem(mem)
		if s == nil {
			err = fmt.Errorf("sim: no message memory %q", mem)
			return
		}
		tlen := 0
		if len(raw) > 0 && int(raw[0])+1 <= len(raw) {
			tlen = len(raw) - int(raw[0]) - 1
		}
		i := s.put(&slot{stat: stat, pdu: append([]byte(nil), raw...), tlen: tlen})
		if i < 0 {
			err = ErrStorageFull
			return
		}
		idx = i + m.prof.IndexBase
	})
	if cerr != nil {
		return -1, cerr
	}
	return idx, err
}

// FillStorageWith fills every free "SM" slot with the given PDUs (SMSC
// field first), taken in turn, stored unread; it returns how many slots
// it filled. With malformed PDUs it models a SIM that unreadable messages
// have filled up.
func (m *Modem) FillStorageWith(pdus [][]byte) int {
	n := 0
	if len(pdus) == 0 {
		return 0
	}
	_ = m.call(func() {
		sm := m.stores["SM"]
		for {
			raw := pdus[n%len(pdus)]
			tlen := 0
			if len(raw) > 0 && int(raw[0])+1 <= len(raw) {
				tlen = len(raw) - int(raw[0]) - 1
			}
			if sm.put(&slot{stat: 0, pdu: append([]byte(nil), raw...), tlen: tlen}) < 0 {
				return
			}
			n++
		}
	})
	return n
}

// FailDeletes makes the next n AT+CMGD answer +CMS ERROR: code and delete
// nothing (code 0 picks the profile's catch-all), as a modem does when its
// SIM is busy: the message read and committed stays stored.
func (m *Modem) FailDeletes(n, code int) {
	if code == 0 {
		code = m.prof.GenericError
	}
	_ = m.call(func() { m.failDel.n, m.failDel.code = n, code })
}

package pdu

import (
	"bytes"
	"fmt"
	"sort"
	"sync"
	"time"
)

// userDataOf returns the DCS and user data a message carries.
func userDataOf(m Message) (DCS, UserData, bool) {
	switch v := m.(type) {
	case *Deliver:
		return v.DCS, v.UD, true
	case *Submit:
		return v.DCS, v.UD, true
	case *StatusReport:
		if v.PI&0x04 != 0 {
			return v.DCS, v.UD, true
		}
	}
	return 0, UserData{}, false
}

// ConcatOf returns the concatenation element of m and true when m is one
// part of a concatenated message.
func ConcatOf(m Message) (Concat, bool) {
	_, ud, ok := userDataOf(m)
	if !ok {
		return Concat{}, false
	}
	h, err := ud.Header()
	if err != nil {
		return Concat{}, false
	}
	return h.Concat()
}

// peer is the address that identifies a set: the sender of a DELIVER, the
// recipient of a SUBMIT.
func peer(m Message) Address {
	switch v := m.(type) {
	case *Deliver:
		return v.From
	case *Submit:
		return v.To
	case *StatusReport:
		return v.Recipient
	}
	return Address{}
}

// JoinContent decodes the text of one message or of the parts of a
// concatenated message, given in any order. The payloads are joined before
// decoding, so a character a sender split across parts (an escape pair, a
// UCS-2 surrogate pair) still comes out whole. Parts must not repeat.
func JoinContent(parts []Message) (Content, error) {
	if len(parts) == 0 {
		return Content{}, fmt.Errorf("%w: no parts", ErrInvalid)
	}
	type item struct {
		seq  int
		dcs  DCS
		ud   UserData
		hdr  UDH
		code Coding
		pay  []byte
	}
	items := make([]item, 0, len(parts))
	for i, m := range parts {
		dcs, ud, ok := userDataOf(m)
		if !ok {
			return Content{}, fmt.Errorf("part %d: %w: %v carries no user data", i+1, ErrInvalid, m.Type())
		}
		c, err := dcs.Coding()
		if err != nil {
			return Content{}, fmt.Errorf("part %d: %w", i+1, err)
		}
		h, p, err := ud.payload(c)
		if err != nil {
			return Content{}, fmt.Errorf("part %d: %w", i+1, err)
		}
		seq := i + 1
		if cc, ok := h.Concat(); ok && len(parts) > 1 {
			seq = cc.Seq
		}
		items = append(items, item{seq: seq, dcs: dcs, ud: ud, hdr: h, code: c, pay: p})
	}
	sort.SliceStable(items, func(a, b int) bool { return items[a].seq < items[b].seq })
	same := true
	for _, it := range items[1:] {
		if it.code != items[0].code {
			same = false
		}
	}
	if !same {
		// Parts in different codings cannot share a character: decode
		// each and concatenate.
		var out Content
		out.Coding = items[0].code
		for _, it := range items {
			c := decodePayload(it.code, it.hdr, it.pay)
			out.Text += c.Text
			out.Data = append(out.Data, c.Data...)
		}
		return out, nil
	}
	var all []byte
	for _, it := range items {
		all = append(all, it.pay...)
	}
	return decodePayload(items[0].code, items[0].hdr, all), nil
}

// JoinPDUs is JoinContent for raw PDUs with their SMSC field (the +CMGR
// form), or bare TPDUs when withSMSC is false.
func JoinPDUs(pdus [][]byte, withSMSC bool) (Content, error) {
	ms := make([]Message, 0, len(pdus))
	for i, b := range pdus {
		var m Message
		var err error
		if withSMSC {
			m, err = Decode(b)
		} else {
			m, err = DecodeTPDU(b)
		}
		if err != nil {
			return Content{}, fmt.Errorf("part %d: %w", i+1, err)
		}
		ms = append(ms, m)
	}
	return JoinContent(ms)
}

// SetKey identifies a set of concatenated parts: the peer (sender of a
// DELIVER, recipient of a SUBMIT), the reference with its width, and the
// announced total.
type SetKey struct {
	Peer    string // Address.String()
	TON     TON
	Ref     uint16
	RefBits int
	Total   int
}

// Incomplete is a set that did not complete within the joiner's timeout.
type Incomplete struct {
	Key   SetKey
	First time.Time // when its first part arrived
	Parts []Message // the parts received, in sequence order
}

// Joiner reassembles concatenated messages in memory. Parts may arrive in
// any order; a repeated part (same set, same sequence number) is ignored,
// also after its set completed: for Timeout the joiner remembers the user
// data of completed sets, so a part delivered twice (modems do) does not
// open a new set, while a new message that reuses the reference does.
// Joiner is safe for concurrent use.
type Joiner struct {
	// Timeout after which Expire reports a set as incomplete; zero means
	// 24 hours.
	Timeout time.Duration
	// Now is the clock; nil means time.Now. Tests set it.
	Now func() time.Time

	mu   sync.Mutex
	sets map[SetKey]*pending
	done map[SetKey]*completed
}

type pending struct {
	first time.Time
	parts map[int]Message
}

type completed struct {
	at  time.Time
	raw map[int][]byte // user data of each part
}

func rawUD(m Message) []byte {
	_, ud, _ := userDataOf(m)
	return ud.Raw
}

// NewJoiner returns a joiner that reports sets still incomplete after
// timeout.
func NewJoiner(timeout time.Duration) *Joiner { return &Joiner{Timeout: timeout} }

func (j *Joiner) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Add takes one message. It returns the complete set in sequence order
// when m completes one, m alone when it is not concatenated, and nil while
// parts are missing or when m repeats a part already held.
func (j *Joiner) Add(m Message) []Message {
	c, ok := ConcatOf(m)
	if !ok || c.Total == 1 {
		return []Message{m}
	}
	p := peer(m)
	k := SetKey{Peer: p.String(), TON: p.TON, Ref: c.Ref, RefBits: c.RefBits, Total: c.Total}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.sets == nil {
		j.sets = map[SetKey]*pending{}
		j.done = map[SetKey]*completed{}
	}
	if d := j.done[k]; d != nil {
		if raw, ok := d.raw[c.Seq]; ok && bytes.Equal(raw, rawUD(m)) {
			return nil // a late copy of a part of a set already handed out
		}
	}
	s := j.sets[k]
	if s == nil {
		s = &pending{first: j.now(), parts: map[int]Message{}}
		j.sets[k] = s
	}
	if _, dup := s.parts[c.Seq]; dup {
		return nil
	}
	s.parts[c.Seq] = m
	if len(s.parts) < c.Total {
		return nil
	}
	delete(j.sets, k)
	out := make([]Message, 0, c.Total)
	d := &completed{at: j.now(), raw: make(map[int][]byte, c.Total)}
	for i := 1; i <= c.Total; i++ {
		out = append(out, s.parts[i])
		d.raw[i] = rawUD(s.parts[i])
	}
	j.done[k] = d
	return out
}

// Pending returns the number of sets waiting for parts.
func (j *Joiner) Pending() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.sets)
}

// Expire removes and returns the sets whose first part arrived more than
// Timeout ago, oldest first, and forgets completed sets of that age.
func (j *Joiner) Expire() []Incomplete {
	timeout := j.Timeout
	if timeout <= 0 {
		timeout = 24 * time.Hour
	}
	now := j.now()
	j.mu.Lock()
	defer j.mu.Unlock()
	for k, d := range j.done {
		if now.Sub(d.at) >= timeout {
			delete(j.done, k)
		}
	}
	var out []Incomplete
	for k, s := range j.sets {
		if now.Sub(s.first) < timeout {
			continue
		}
		delete(j.sets, k)
		inc := Incomplete{Key: k, First: s.first}
		seqs := make([]int, 0, len(s.parts))
		for q := range s.parts {
			seqs = append(seqs, q)
		}
		sort.Ints(seqs)
		for _, q := range seqs {
			inc.Parts = append(inc.Parts, s.parts[q])
		}
		out = append(out, inc)
	}
	sort.Slice(out, func(a, b int) bool {
		if !out[a].First.Equal(out[b].First) {
			return out[a].First.Before(out[b].First)
		}
		return out[a].Key.Ref < out[b].Key.Ref
	})
	return out
}

package modem

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"smsgw/modem/at"
	"smsgw/modem/pdu"
)

// Part is one encoded SMS-SUBMIT: the TPDU length for AT+CMGS (octets after
// the SMSC field) and the hex PDU including the SMSC field ("00..." to use
// the modem's +CSCA).
type Part struct {
	Len int
	Hex string
	// Hold, when set, is called once the modem prompts for this part and
	// before its PDU is written (see at.Cmd.Hold): the caller may finish
	// what must come before this part leaves (the previous message on
	// record) while the command's round trip to the prompt runs. An error
	// aborts the send with nothing of this part on the wire.
	Hold func(ctx context.Context) error
}

// PartsOf converts the codec's parts.
func PartsOf(ps []pdu.Part) []Part {
	out := make([]Part, len(ps))
	for i, p := range ps {
		out[i] = Part{Len: p.TPDULen, Hex: p.Hex}
	}
	return out
}

// SendError is the failure of one part of a SendParts or SendPartsFunc
// call. MRs holds the message references of the parts sent before it.
type SendError struct {
	Part  int // 0-based index of the part that failed
	Parts int
	MRs   []int
	// OnWire is set when some of the failed part's PDU reached the modem
	// before the failure: whatever Err says (a timeout, a cancelled
	// context, a closed port), the modem may have sent it. Unset, the
	// failed part was never handed over and can be sent again safely.
	OnWire bool
	Err    error
}

func (e *SendError) Error() string {
	return fmt.Sprintf("send part %d/%d: %v", e.Part+1, e.Parts, e.Err)
}

func (e *SendError) Unwrap() error { return e.Err }

// SendParts sends the parts of one message in order and returns the TP-MR
// the modem assigned to each. Each part is one AT command:
//
//	-> AT+CMGS=<len><CR>       <- <CR><LF>> <SP>
//	-> <hex PDU><^Z>           <- +CMGS: <mr> / OK
//
// A multi-part burst is preceded by AT+CMMS=1 (keep the radio link open
// between parts, closed by the modem itself after a few idle seconds) where
// the modem accepts it; a modem that refuses it is not asked again. Nothing
// else is sent per message: PDU mode, SMSC and indications are set at init.
//
// On failure the error is a *SendError whose Err carries the typed cause
// (*at.CMSError etc., see at.Classify), with the MRs of the parts already
// sent, and says whether the failed part's PDU was on the wire.
//
// The prompt wait is bounded by Config.PromptTimeout, the network round
// trip after ^Z by Config.SendTimeout; a missing prompt is answered with
// ESC and leaves nothing on the wire.
func (m *Modem) SendParts(ctx context.Context, parts []Part) ([]int, error) {
	return m.SendPartsFunc(ctx, parts, nil)
}

// SendPartsFunc is SendParts reporting each part as it completes: onPart
// (when not nil) is called with the part's 0-based index and its TP-MR
// after the modem's +CMGS answer and before the next part's AT+CMGS is
// written, so a caller can record every part durably while the whole
// message still goes out in one AT+CMMS burst. onPart runs with the modem
// held (no other command of this Modem can run until it returns; it must
// not call this Modem) and should be quick: the modem closes the kept
// link after a few idle seconds.
//
// An error from onPart stops the burst: no further part is written, and
// SendPartsFunc returns the MRs of the parts sent, the refused part's
// included, with that error wrapped (errors.Is finds it). It is not a
// *SendError, as no part failed on the modem. An AT+CMMS=1 burst that ends
// early is left to lapse like a complete one.
func (m *Modem) SendPartsFunc(ctx context.Context, parts []Part, onPart func(i, mr int) error) ([]int, error) {
	if len(parts) == 0 {
		return nil, errors.New("send: no parts")
	}
	if err := m.lock(ctx); err != nil {
		return nil, &SendError{Part: 0, Parts: len(parts), Err: err}
	}
	defer m.unlock()
	if len(parts) > 1 {
		m.mu.Lock()
		cmms := m.cmms
		m.mu.Unlock()
		if cmms >= 0 {
			_, err := m.e.Exec(ctx, "AT+CMMS=1")
			var ce *at.CommandError
			switch {
			case err == nil:
				m.setCMMS(1)
			case errors.Is(err, at.ErrClosed), errors.Is(err, at.ErrTimeout), ctx.Err() != nil:
				// A modem that does not answer this will not answer
				// AT+CMGS either: nothing is on the wire yet.
				return nil, &SendError{Part: 0, Parts: len(parts), Err: err}
			case errors.As(err, &ce) && !errors.Is(err, at.ErrTimeout):
				// Huawei E1752 answers +CMS ERROR: 500; the send works
				// without it.
				m.setCMMS(-1)
			}
		}
	}
	mrs := make([]int, 0, len(parts))
	for i, p := range parts {
		if p.Len <= 0 || p.Hex == "" || !isHex(p.Hex) {
			return mrs, &SendError{Part: i, Parts: len(parts), MRs: mrs, Err: fmt.Errorf("invalid part: length %d, %d hex chars", p.Len, len(p.Hex))}
		}
		// Expect +CMGS: an OK without it is a late answer to something
		// else, and a send must not be reported done on it.
		cmd := at.Cmd{Line: fmt.Sprintf("AT+CMGS=%d", p.Len), Payload: p.Hex, Timeout: m.cfg.SendTimeout,
			PromptTimeout: m.cfg.PromptTimeout, Expect: "+CMGS", Hold: p.Hold}
		lines, err := m.e.Do(ctx, cmd)
		if err != nil {
			var ce *at.CommandError
			onWire := errors.As(err, &ce) && ce.PayloadWritten
			return mrs, &SendError{Part: i, Parts: len(parts), MRs: mrs, OnWire: onWire, Err: err}
		}
		mr := -1 // a "+CMGS:" line without a number
		if a, ok := find(lines, "+CMGS"); ok {
			if n, ok := atoi(fields(a)[0]); ok {
				mr = n
			}
		}
		mrs = append(mrs, mr)
		if onPart != nil {
			if err := onPart(i, mr); err != nil {
				return mrs, fmt.Errorf("send: stopped after part %d/%d: %w", i+1, len(parts), err)
			}
		}
	}
	return mrs, nil
}

func (m *Modem) setCMMS(v int) { m.mu.Lock(); m.cmms = v; m.mu.Unlock() }

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return len(s)%2 == 0
}

// Stored is a message in the modem's storage.
type Stored struct {
	Index int
	// Stat: 0 received unread, 1 received read, 2 stored unsent, 3 stored
	// sent; -1 when the modem omitted it.
	Stat int
	// Length is the TPDU length the modem reported (0 if absent).
	Length int
	// PDU is the hex PDU with its SMSC field, as the codec's DecodeHex
	// takes it.
	PDU string
}

// ListStored lists every stored message, read or not:
//
//	-> AT+CMGL=4
//	<- +CMGL: 1,0,,23 / 07911326040000F0040B91... / +CMGL: 2,1,"",25 / ... / OK
//
// Header variants seen on real devices are accepted (no alpha field, spaces
// after commas, a PDU on the header line, garbage lines before the list).
func (m *Modem) ListStored(ctx context.Context) ([]Stored, error) {
	lines, err := m.e.Exec(ctx, "AT+CMGL=4")
	if err != nil {
		return nil, fmt.Errorf("list stored: %w", err)
	}
	var out []Stored
	for i := 0; i < len(lines); i++ {
		a, ok := args(lines[i], "+CMGL")
		if !ok {
			continue
		}
		s, pduOnLine := parseHeader(a, true)
		if s.Index < 0 {
			continue
		}
		if pduOnLine != "" {
			s.PDU = pduOnLine
		} else if i+1 < len(lines) && isHex(lines[i+1]) {
			s.PDU = lines[i+1]
			i++
		}
		if s.PDU != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// parseHeader reads "+CMGL: <index>,<stat>,[<alpha>],<length>" (withIndex)
// or "+CMGR: <stat>,[<alpha>],<length>" and their variants. A PDU printed
// on the header line after a space is returned separately.
func parseHeader(a string, withIndex bool) (Stored, string) {
	s := Stored{Index: -1, Stat: -1}
	pduOnLine := ""
	if i := strings.LastIndexByte(a, ' '); i > 0 && isHex(a[i+1:]) && len(a)-i > 20 {
		pduOnLine = a[i+1:]
		a = strings.TrimSpace(a[:i])
	}
	f := fields(a)
	if withIndex {
		n, ok := atoi(f[0])
		if !ok {
			return s, ""
		}
		s.Index = n
		f = f[1:]
	} else {
		s.Index = 0
	}
	if len(f) >= 2 {
		if n, ok := atoi(f[0]); ok {
			s.Stat = n
		}
	}
	if len(f) >= 1 {
		if n, ok := atoi(f[len(f)-1]); ok {
			s.Length = n
		}
	}
	return s, pduOnLine
}

// ReadStored reads one stored message from the receive storage:
//
//	-> AT+CMGR=<index>   <- +CMGR: 0,,23 / 0791... / OK
//
// An empty slot, in any of its forms (OK alone, "+CMGR: 0,,0", +CMS ERROR:
// 321, +CME ERROR: 21/22), is ErrEmptySlot.
func (m *Modem) ReadStored(ctx context.Context, index int) (Stored, error) {
	lines, err := m.e.Exec(ctx, fmt.Sprintf("AT+CMGR=%d", index))
	if err != nil {
		if emptySlotErr(err) {
			return Stored{}, fmt.Errorf("read stored %d: %w", index, ErrEmptySlot)
		}
		return Stored{}, fmt.Errorf("read stored %d: %w", index, err)
	}
	for i, l := range lines {
		a, ok := args(l, "+CMGR")
		if !ok {
			continue
		}
		s, pduOnLine := parseHeader(a, false)
		s.Index = index
		if pduOnLine != "" {
			s.PDU = pduOnLine
		} else if i+1 < len(lines) && isHex(lines[i+1]) {
			s.PDU = lines[i+1]
		}
		if s.PDU == "" {
			break
		}
		return s, nil
	}
	return Stored{}, fmt.Errorf("read stored %d: %w", index, ErrEmptySlot)
}

func emptySlotErr(err error) bool {
	var cms *at.CMSError
	if errors.As(err, &cms) && cms.Code == 321 {
		return true
	}
	var cme *at.CMEError
	return errors.As(err, &cme) && (cme.Code == 21 || cme.Code == 22)
}

// DeleteStored deletes one stored message (deleting an empty slot is not an
// error on most modems):
//
//	-> AT+CMGD=<index>   <- OK
func (m *Modem) DeleteStored(ctx context.Context, index int) error {
	if _, err := m.e.Exec(ctx, fmt.Sprintf("AT+CMGD=%d", index)); err != nil {
		if emptySlotErr(err) {
			return fmt.Errorf("delete stored %d: %w", index, ErrEmptySlot)
		}
		return fmt.Errorf("delete stored %d: %w", index, err)
	}
	return nil
}

// ReadStoredIn reads a message from another storage than the receive
// storage (a +CDSI status report announced in "SR"): the storage is
// switched with AT+CPMS="<storage>" for the read and switched back.
func (m *Modem) ReadStoredIn(ctx context.Context, storage string, index int) (Stored, error) {
	var s Stored
	err := m.withStorage(ctx, storage, func() error {
		var err error
		s, err = m.ReadStored(ctx, index)
		return err
	})
	return s, err
}

// DeleteStoredIn deletes a message from another storage, like ReadStoredIn.
func (m *Modem) DeleteStoredIn(ctx context.Context, storage string, index int) error {
	return m.withStorage(ctx, storage, func() error { return m.DeleteStored(ctx, index) })
}

func (m *Modem) withStorage(ctx context.Context, storage string, fn func() error) error {
	cur := m.Setup().Storage
	if storage == "" || strings.EqualFold(storage, cur) || cur == "" {
		return fn()
	}
	if err := m.lock(ctx); err != nil {
		return err
	}
	defer m.unlock()
	if _, err := m.e.Exec(ctx, `AT+CPMS="`+storage+`"`); err != nil {
		return fmt.Errorf("switch to storage %s: %w", storage, err)
	}
	err := fn()
	if _, rerr := m.e.Exec(ctx, `AT+CPMS="`+cur+`"`); rerr != nil && err == nil {
		err = fmt.Errorf("restore storage %s: %w", cur, rerr)
	}
	return err
}

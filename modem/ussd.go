package modem

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"smsgw/modem/at"
	"smsgw/modem/pdu"
)

// USSDReply is the network's answer to a USSD request.
type USSDReply struct {
	// Status: 0 no further action, 1 further user action required,
	// 2 terminated by the network, 3 answered by another client,
	// 4 operation not supported, 5 network timeout.
	Status int    `json:"status"`
	Text   string `json:"text"`
	DCS    int    `json:"dcs"`
}

// ErrUSSD wraps a USSD the network refused or did not answer (status 2, 4
// or 5).
var ErrUSSD = errors.New("modem: USSD failed")

func parseCUSD(a string) USSDReply {
	f := fields(a)
	r := USSDReply{DCS: -1}
	r.Status, _ = atoi(f[0])
	if len(f) >= 2 {
		r.Text = f[1]
	}
	if len(f) >= 3 {
		if n, ok := atoi(f[2]); ok {
			r.DCS = n
		}
	}
	return r
}

// decodeUSSD turns the hex forms some modems print into text: UCS-2 hex
// (DCS 72, or with +CSCS="UCS2") and Huawei's packed 7-bit hex.
func (m *Modem) decodeUSSD(r USSDReply) USSDReply {
	if r.Text == "" || !isHex(r.Text) {
		return r
	}
	b, err := hex.DecodeString(r.Text)
	if err != nil {
		return r
	}
	m.mu.Lock()
	v := m.vendor
	m.mu.Unlock()
	switch {
	case r.DCS == 72 || r.DCS == 0x48:
		r.Text = pdu.DecodeUCS2(b)
	case v == vendorHuawei && (r.DCS == 15 || r.DCS == 0):
		if sep, err := pdu.Unpack7(b, len(b)*8/7); err == nil {
			r.Text = strings.TrimRight(pdu.DecodeGSM7(sep), "\r\x00@")
		}
	}
	return r
}

// USSD sends a USSD request (a balance check, say) and waits for the
// network's reply:
//
//	-> AT+CUSD=1,"*100#",15   <- OK
//	<- +CUSD: 0,"Balance: 5.00 EUR",15          (seconds later, unsolicited)
//
// Huawei sticks expect the request as packed 7-bit hex, and get it so.
func (m *Modem) USSD(ctx context.Context, code string) (USSDReply, error) {
	if code == "" || strings.ContainsAny(code, "\"\r\n") {
		return USSDReply{}, fmt.Errorf("ussd: invalid code %q", code)
	}
	if err := m.lock(ctx); err != nil {
		return USSDReply{}, err
	}
	defer m.unlock()
	ch := make(chan at.URC, 1)
	m.mu.Lock()
	m.ussdCh = ch
	v := m.vendor
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		m.ussdCh = nil
		m.mu.Unlock()
	}()
	arg := code
	if v == vendorHuawei {
		if sep, err := pdu.EncodeGSM7(code); err == nil {
			arg = strings.ToUpper(hex.EncodeToString(pdu.Pack7(sep)))
		}
	}
	lines, err := m.e.Exec(ctx, fmt.Sprintf(`AT+CUSD=1,"%s",15`, arg))
	if err != nil {
		return USSDReply{}, fmt.Errorf("ussd: %w", err)
	}
	var r USSDReply
	if a, ok := find(lines, "+CUSD"); ok {
		// Some firmware prints the reply before OK.
		r = parseCUSD(a)
	} else {
		t := time.NewTimer(m.cfg.USSDTimeout)
		defer t.Stop()
		select {
		case u := <-ch:
			r = parseCUSD(u.Args)
		case <-t.C:
			return USSDReply{}, fmt.Errorf("ussd: no reply within %v: %w", m.cfg.USSDTimeout, at.ErrTimeout)
		case <-ctx.Done():
			return USSDReply{}, fmt.Errorf("ussd: %w", ctx.Err())
		case <-m.e.Done():
			return USSDReply{}, fmt.Errorf("ussd: %w", m.e.Err())
		}
	}
	r = m.decodeUSSD(r)
	switch r.Status {
	case 2, 4, 5:
		return r, fmt.Errorf("%w: status %d", ErrUSSD, r.Status)
	}
	return r, nil
}

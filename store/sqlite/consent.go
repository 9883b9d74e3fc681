package sqlite

import (
	"encoding/json"
	"fmt"

	"smsgw"
)

// admit asks the consent policy about each recipient of a request and
// returns their states and reasons, and the rows insertMessages takes.
func (w *wtx) admit(p *prepared) ([]smsgw.State, []string, string, error) {
	states := make([]smsgw.State, len(p.to))
	reasons := make([]string, len(p.to))
	rows := make([][3]string, len(p.to))
	for i, to := range p.to {
		optedOut, err := w.optedOut(to)
		if err != nil {
			return nil, nil, "", err
		}
		states[i] = smsgw.StateQueued
		if r := w.s.opt.Consent.Refuse(to, p.category, p.m.AutoReply, optedOut); r != "" {
			states[i], reasons[i] = smsgw.StateSuppressed, r
		}
		rows[i] = [3]string{to, string(states[i]), reasons[i]}
	}
	b, err := json.Marshal(rows)
	if err != nil {
		return nil, nil, "", fmt.Errorf("recipients: %w", err)
	}
	return states, reasons, string(b), nil
}

// optedOut reports whether the number's latest consent record is an
// opt-out.
func (w *wtx) optedOut(number string) (bool, error) {
	return false, nil
}

package gateway

import (
	"context"
	"errors"
	"fmt"

	"smsgw"
	"smsgw/modem"
	"smsgw/modem/at"
)

// ussdError classifies a failed USSD request for the API: what the modem
// refused, what the network refused and what nobody answered are different
// answers (4xx, 502, 504), never an internal error.
func ussdError(id string, rep modem.USSDReply, err error) error {
	var (
		cme *at.CMEError
		cms *at.CMSError
		res *at.ResultError
	)
	ue := &smsgw.USSDError{Err: fmt.Errorf("modem %q: %w", id, err)}
	switch {
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("modem %q: USSD: %w", id, err) // the client went away
	case errors.Is(err, at.ErrClosed):
		return fmt.Errorf("modem %q went away during the USSD request: %w", id, smsgw.ErrUnavailable)
	case errors.Is(err, modem.ErrUSSD):
		switch rep.Status {
		case 5:
			ue.Kind, ue.Reason = smsgw.USSDTimeout, "the network timed out (+CUSD status 5)"
		case 4:
			ue.Kind, ue.Reason = smsgw.USSDNetwork, "the network does not support this code (+CUSD status 4)"
		default:
			ue.Kind, ue.Reason = smsgw.USSDNetwork, fmt.Sprintf("the network ended the session (+CUSD status %d)", rep.Status)
		}
		if rep.Text != "" {
			ue.Reason += ": " + rep.Text
		}
	case errors.Is(err, at.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		ue.Kind, ue.Reason = smsgw.USSDTimeout, "no reply from the network"
	case errors.As(err, &cme):
		ue.Kind, ue.Reason = smsgw.USSDRefused, cme.Error()
	case errors.As(err, &cms):
		ue.Kind, ue.Reason = smsgw.USSDRefused, cms.Error()
	case errors.As(err, &res):
		ue.Kind, ue.Reason = smsgw.USSDRefused, res.Error()
	default:
		ue.Kind, ue.Reason = smsgw.USSDNetwork, "the modem failed"
	}
	return ue
}

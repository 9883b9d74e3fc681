package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"smsgw/modem/pdu"
)

func init() {
	register(command{name: "pdu", summary: "decode or encode SMS PDUs (decode HEX [--tpdu] | encode --to N --text T)", run: runPDU})
}

var (
	pduDecodeSynopsis = "smsgw pdu decode HEX [--tpdu]"
	pduEncodeSynopsis = "smsgw pdu encode --to N --text T [--smsc S] [--srr] [--class0] [--udh-ref R] [--validity D] [--coding auto|gsm7|ucs2] [--lang L,...]"
	pduDoc            = usageDoc{name: "pdu", synopsis: []string{pduDecodeSynopsis, pduEncodeSynopsis}, about: "The SMS PDU codec, without a modem or the daemon.\nsmsgw help pdu decode and smsgw help pdu encode show their flags.", exits: []int{exitOK, exitRefused, exitUsage}}
	pduDecodeDoc      = usageDoc{synopsis: []string{pduDecodeSynopsis}, about: "Decodes an SMS PDU in hex (as AT+CMGR or AT+CMGL print it) and prints it as JSON.", exits: []int{exitOK, exitRefused, exitUsage}}
	pduEncodeDoc      = usageDoc{synopsis: []string{pduEncodeSynopsis}, about: "Encodes a text into SMS-SUBMIT PDUs, one JSON object per part.", exits: []int{exitOK, exitRefused, exitUsage}}
)

func runPDU(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, nil, pduDoc, "a subcommand is needed (decode or encode)")
	}
	fs, doc := newFlagSet("pdu "+args[0]), pduDoc
	var err error
	switch args[0] {
	case "decode":
		doc = pduDecodeDoc
		err = pduDecode(fs, args[1:], stdout)
	case "encode":
		doc = pduEncodeDoc
		err = pduEncode(fs, args[1:], stdout)
	default:
		if wantsHelp(args) {
			writeUsage(stdout, nil, pduDoc)
			return exitOK
		}
		return usageError(stderr, nil, pduDoc, "unknown subcommand %q (want decode or encode)", args[0])
	}
	if errors.Is(err, flag.ErrHelp) {
		writeUsage(stdout, fs, doc)
		return exitOK
	}
	if err != nil {
		// One line, whatever the error text holds.
		msg := strings.TrimPrefix(err.Error(), "pdu: ")
		msg = strings.ReplaceAll(msg, "\n", " ")
		if errors.Is(err, errUsage) {
			return usageError(stderr, fs, doc, "%s", strings.TrimPrefix(msg, "usage: "))
		}
		fmt.Fprintf(stderr, "smsgw pdu: %s\n", msg)
		return exitRefused
	}
	return exitOK
}

var errUsage = errors.New("usage")

// parseInterspersed parses flags that may come before or after positional
// arguments ("decode HEX --tpdu"); --help comes back as flag.ErrHelp.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, err
		} else if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

type jsonAddress struct {
	Number string `json:"number"`
	TON    int    `json:"ton"`
	NPI    int    `json:"npi"`
}

type jsonIE struct {
	IEI  int    `json:"iei"`
	Data string `json:"data"`
}

type jsonConcat struct {
	Ref     int `json:"ref"`
	Total   int `json:"total"`
	Seq     int `json:"seq"`
	RefBits int `json:"ref_bits"`
}

type jsonValidity struct {
	Format  string  `json:"format"`
	Seconds *int64  `json:"seconds,omitempty"`
	Time    *string `json:"time,omitempty"`
	Raw     string  `json:"raw,omitempty"`
}

type jsonStatus struct {
	Code    int    `json:"code"`
	Meaning string `json:"meaning"`
}

type jsonMessage struct {
	Type          string        `json:"type"`
	SMSC          *string       `json:"smsc"`
	Address       jsonAddress   `json:"address"`
	Text          *string       `json:"text"`
	Data          *string       `json:"data"`
	Coding        string        `json:"coding"`
	Class         *int          `json:"class"`
	UDH           []jsonIE      `json:"udh"`
	Concat        *jsonConcat   `json:"concat"`
	SCTS          *string       `json:"scts"`
	DischargeTime *string       `json:"discharge_time"`
	Validity      *jsonValidity `json:"validity"`
	SRR           bool          `json:"srr"`
	MR            *int          `json:"mr"`
	Status        *jsonStatus   `json:"status"`
	PID           int           `json:"pid"`
	DCS           int           `json:"dcs"`
	// Defects: what was odd but decoded anyway (see pdu.Deliver.Defects).
	Defects []string `json:"defects,omitempty"`
}

// rfc3339 formats a time stamp; a zero time (one that was not a date) is
// null.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.Format(time.RFC3339)
	return &s
}

func pduDecode(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	tpdu := fs.Bool("tpdu", false, "the hex is a bare TPDU without the SMSC field")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: decode takes exactly one HEX argument", errUsage)
	}
	var m pdu.Message
	if *tpdu {
		m, err = pdu.DecodeHexTPDU(pos[0])
	} else {
		m, err = pdu.DecodeHex(pos[0])
	}
	if err != nil {
		return err
	}
	out, err := describe(m)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}

func describe(m pdu.Message) (*jsonMessage, error) {
	out := &jsonMessage{Type: m.Type().String(), UDH: []jsonIE{}}
	if a := m.SMSCAddress(); !a.IsZero() {
		s := a.String()
		out.SMSC = &s
	}
	var (
		addr    pdu.Address
		dcs     pdu.DCS
		ud      pdu.UserData
		hasUD   = true
		content pdu.Content
		err     error
	)
	mr := func(v byte) { n := int(v); out.MR = &n }
	switch v := m.(type) {
	case *pdu.Submit:
		addr, dcs, ud = v.To, v.DCS, v.UD
		out.SRR = v.StatusReportRequest
		mr(v.MR)
		out.PID = int(v.PID)
		out.Validity = describeValidity(v.Validity)
		out.Defects = v.Defects
		content, err = v.Content()
	case *pdu.Deliver:
		addr, dcs, ud = v.From, v.DCS, v.UD
		out.SRR = v.StatusReportIndication
		out.PID = int(v.PID)
		out.SCTS = rfc3339(v.SCTS)
		out.Defects = v.Defects
		content, err = v.Content()
	case *pdu.StatusReport:
		addr, dcs, ud = v.Recipient, v.DCS, v.UD
		hasUD = v.PI&0x04 != 0
		mr(v.MR)
		out.PID = int(v.PID)
		out.SCTS = rfc3339(v.SCTS)
		out.DischargeTime = rfc3339(v.DischargeTime)
		out.Status = &jsonStatus{Code: int(v.Status), Meaning: v.Status.Meaning()}
		out.Defects = v.Defects
		content, err = v.Content()
	}
	if err != nil {
		return nil, err
	}
	out.Address = jsonAddress{Number: addr.String(), TON: int(addr.TON), NPI: int(addr.NPI)}
	out.DCS = int(dcs)
	out.Coding = content.Coding.String()
	if c, ok := dcs.Class(); ok {
		out.Class = &c
	}
	if content.Coding == pdu.Coding8Bit {
		d := hex.EncodeToString(content.Data)
		out.Data = &d
	} else if hasUD || m.Type() != pdu.TypeStatusReport {
		t := content.Text
		out.Text = &t
	}
	h, err := ud.Header()
	if err != nil {
		return nil, err
	}
	for _, ie := range h {
		out.UDH = append(out.UDH, jsonIE{IEI: int(ie.ID), Data: hex.EncodeToString(ie.Data)})
	}
	if c, ok := h.Concat(); ok {
		out.Concat = &jsonConcat{Ref: int(c.Ref), Total: c.Total, Seq: c.Seq, RefBits: c.RefBits}
	}
	return out, nil
}

func describeValidity(v pdu.Validity) *jsonValidity {
	switch v.Format {
	case pdu.ValidityRelative:
		s := int64(v.Duration / time.Second)
		return &jsonValidity{Format: "relative", Seconds: &s}
	case pdu.ValidityAbsolute:
		return &jsonValidity{Format: "absolute", Time: rfc3339(v.Time)}
	case pdu.ValidityEnhanced:
		j := &jsonValidity{Format: "enhanced", Raw: hex.EncodeToString(v.Enhanced[:])}
		if v.Duration > 0 {
			s := int64(v.Duration / time.Second)
			j.Seconds = &s
		}
		return j
	}
	return nil
}

// parseValidity reads a Go duration or a whole number of days ("3d") or
// weeks ("2w").
func parseValidity(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "w": 7 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v <= 0 {
				return 0, fmt.Errorf("validity %q: want a positive number before %q", s, suffix)
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("validity %q: want a positive duration such as 30m, 12h, 3d or 2w", s)
	}
	return d, nil
}

func pduEncode(fs *flag.FlagSet, args []string, stdout io.Writer) error {
	to := fs.String("to", "", "recipient number (+E.164 or national)")
	text := fs.String("text", "", "message text")
	smsc := fs.String("smsc", "", "SMSC number to put in the PDU (default: none, the modem's +CSCA)")
	srr := fs.Bool("srr", false, "request a status report")
	class0 := fs.Bool("class0", false, "send as class 0 (flash) message")
	ref := fs.Int("udh-ref", -1, "concatenation reference 0-65535 (above 255 uses the 16-bit IE; default random)")
	validity := fs.String("validity", "", "relative validity period, e.g. 30m, 12h, 3d, 2w")
	coding := fs.String("coding", "auto", "auto, gsm7 or ucs2")
	langs := fs.String("lang", "", "comma-separated national language shift tables to allow (turkish, spanish, portuguese)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, pos[0])
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["to"] || !set["text"] {
		return fmt.Errorf("%w: encode needs --to and --text", errUsage)
	}
	opt := pdu.SubmitOptions{SMSC: *smsc, StatusReport: *srr}
	opt.Flash = *class0
	if opt.Coding, err = pdu.ParseCoding(*coding); err != nil {
		return err
	}
	if opt.Coding == pdu.Coding8Bit {
		return fmt.Errorf("--coding: 8bit is not available for text")
	}
	if *langs != "" {
		for _, l := range strings.Split(*langs, ",") {
			lang, err := pdu.ParseLanguage(strings.TrimSpace(l))
			if err != nil {
				return err
			}
			opt.Languages = append(opt.Languages, lang)
		}
	}
	switch {
	case *ref == -1:
		opt.Ref = uint16(rand.IntN(256))
	case *ref < 0 || *ref > 0xFFFF:
		return fmt.Errorf("--udh-ref %d: want 0-65535", *ref)
	default:
		opt.Ref = uint16(*ref)
		opt.Ref16 = *ref > 0xFF
	}
	if *validity != "" {
		if opt.Validity, err = parseValidity(*validity); err != nil {
			return err
		}
	}
	parts, err := pdu.EncodeSubmit(*to, *text, opt)
	if err != nil {
		return err
	}
	for _, p := range parts {
		fmt.Fprintf(stdout, "%d %s\n", p.TPDULen, p.Hex)
	}
	return nil
}

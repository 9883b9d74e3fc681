package kannel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"smsgw"
	"smsgw/api"
	"smsgw/modem/pdu"
	"smsgw/queue"
)

// Metadata keys under which a Kannel request's callback settings are kept
// with the message.
const (
	metaDLRURL  = api.MetaDLRURL
	metaDLRMask = api.ReservedMetaPrefix + "dlr-mask"
	metaFrom    = api.ReservedMetaPrefix + "from"
	metaCoding  = api.ReservedMetaPrefix + "coding"
)

// Kannel dlr-mask bits.
const (
	dlrDelivered    = 1
	dlrUndelivered  = 2
	dlrQueuedSMSC   = 4
	dlrSMSCAccepted = 8
	dlrSMSCRejected = 16
)

// WriteError writes an error as Kannel does: its sentence as plain text.
func WriteError(w http.ResponseWriter, e *api.Error) { writeKannel(w, e.Status, e.Message) }

func writeKannel(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// kannelParams reads one parameter from the query/form, then the X-Kannel
// header of the same name.
type kannelParams struct{ r *http.Request }

func (p kannelParams) get(names ...string) string {
	for _, n := range names {
		if v := p.r.Form.Get(n); v != "" {
			return v
		}
	}
	for _, n := range names {
		if v := p.r.Header.Get("X-Kannel-" + n); v != "" {
			return v
		}
	}
	return ""
}

func (p kannelParams) has(name string) bool {
	_, ok := p.r.Form[name]
	return ok || p.r.Header.Get("X-Kannel-"+name) != ""
}

// sendsms handles GET|POST /cgi-bin/sendsms. Authentication happened
// before (token as password, pass, username or user).
func (h *API) sendsms(w http.ResponseWriter, r *http.Request) *api.Error {
	p := kannelParams{r}
	reject := func(msg string) *api.Error {
		writeKannel(w, http.StatusBadRequest, msg)
		return nil
	}
	rawText := []byte(p.get("text"))
	if !p.has("text") && r.Method == http.MethodPost {
		// Kannel's POST form: the text is the body, the rest in headers.
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if mt != "application/x-www-form-urlencoded" && mt != "multipart/form-data" {
			b, err := io.ReadAll(r.Body)
			if err != nil {
				e := api.BodyReadError(err)
				writeKannel(w, e.Status, e.Message)
				return nil
			}
			rawText = b
		}
	}
	to := p.get("to")
	if strings.TrimSpace(to) == "" {
		return reject("Missing receiver number, rejected")
	}
	var bin queue.Binary
	if udh := p.get("udh"); udh != "" {
		// Kannel's udh is the header's octets, UDHL first, URL-encoded.
		b := []byte(udh)
		if len(b) < 3 || int(b[0]) != len(b)-1 || len(b) > queue.MaxUDHBytes {
			return reject("Invalid UDH (its first octet must be the length of the rest), rejected")
		}
		if _, _, err := pdu.ParseUDH(b); err != nil {
			return reject("Invalid UDH, rejected")
		}
		bin.UDH = b
	}
	coding := p.get("coding")
	enc := api.EncodingAuto
	switch coding {
	case "", "0":
		if coding == "0" {
			enc = api.EncodingGSM7
		}
	case "2":
		enc = api.EncodingUCS2
	case "1":
		// 8-bit data: the text's octets as they came, no charset.
		if len(rawText) == 0 {
			return reject("Empty data not allowed, rejected")
		}
		bin.Data = append([]byte{}, rawText...)
	default:
		return reject("Invalid coding, rejected")
	}
	charset := p.get("charset")
	if charset == "" && coding == "2" && p.get("charset") == "" && !utf8.Valid(rawText) {
		charset = "UTF-16BE"
	}
	text := ""
	if !bin.IsData() {
		var err error
		if text, err = decodeCharset(rawText, charset); err != nil {
			return reject(err.Error() + ", rejected")
		}
	}
	d := api.Draft{Text: text, Encoding: enc, Metadata: map[string]string{}}
	d.To = splitKannelTo(to)
	if len(d.To) == 0 {
		return reject("Empty receiver number not allowed, rejected")
	}
	for i, n := range d.To {
		// Kannel users write international numbers without the '+' (an
		// unescaped '+' in a URL arrives as a space anyway): bare digits
		// that do not start with the trunk prefix 0 are international.
		if isDigits(n) && len(n) >= 8 && n[0] != '0' {
			d.To[i] = "+" + n
		}
	}
	if mc := p.get("mclass"); mc != "" {
		n, err := strconv.Atoi(mc)
		if err != nil || n < 0 || n > 3 {
			return reject("Invalid mclass, rejected")
		}
		bin.Class = &n
		d.Flash = n == 0
	}
	if p.get("flash") == "1" {
		if bin.Class != nil && *bin.Class != 0 {
			return reject("flash is mclass 0; give one or the other, rejected")
		}
		d.Flash = true
	}
	if v := p.get("pid"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 255 {
			return reject("Invalid pid, rejected")
		}
		bin.PID = n
	}
	d.Binary = bin
	now := h.core.Now()
	if v := p.get("deferred"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 525600 {
			return reject("Invalid deferred, rejected")
		}
		if n > 0 {
			d.SendAt = now.Add(time.Duration(n) * time.Minute)
		}
	}
	if v := p.get("validity"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 525600 {
			return reject("Invalid validity, rejected")
		}
		base := now
		if !d.SendAt.IsZero() {
			base = d.SendAt
		}
		d.ExpiresAt = base.Add(time.Duration(n) * time.Minute)
	}
	if v := p.get("priority"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 3 {
			return reject("Invalid priority, rejected")
		}
		d.Priority = n
	}
	if smsc := p.get("smsc"); smsc != "" {
		routed, e := h.route(r, smsc)
		if e != nil {
			return e
		}
		if !routed.ok {
			// No modem and no tag by that name: Kannel's answer to a
			// message no SMSC takes.
			writeKannel(w, http.StatusForbidden, "Not routable. Do not try again.")
			return nil
		}
		d.Modem, d.Tags = routed.modem, routed.tags
	}
	mask := 0
	if v := p.get("dlr-mask", "dlrmask"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 255 {
			return reject("Invalid dlr-mask, rejected")
		}
		mask = n
	}
	dlrURL := p.get("dlr-url", "dlrurl")
	if dlrURL != "" {
		if mask == 0 {
			return reject("dlr-url given without dlr-mask, rejected")
		}
		if e := h.core.CheckCallback("dlr-url", dlrURL); e != nil {
			return reject("Invalid dlr-url (" + e.Message + "), rejected")
		}
		d.Metadata[metaDLRURL] = dlrURL
		d.Metadata[metaDLRMask] = strconv.Itoa(mask)
	}
	d.DeliveryReport = mask&(dlrDelivered|dlrUndelivered) != 0
	if from := p.get("from"); from != "" {
		d.Metadata[metaFrom] = from
	}
	if coding != "" {
		d.Metadata[metaCoding] = coding
	}
	if len(d.Metadata) == 0 {
		d.Metadata = nil
	}
	msgs, e := h.core.Build(d, "to", "text")
	if e != nil {
		return reject(e.Message + ", rejected")
	}
	_, err := h.core.Backend().Store.Submit(r.Context(), api.SubmitRequest{Messages: msgs})
	if err != nil {
		if errors.Is(err, smsgw.ErrUnavailable) || api.BackendError(err, "").Status >= 500 {
			if !errors.Is(err, smsgw.ErrUnavailable) {
				h.core.Logger().Error("kannel: sendsms store failed", "err", err)
			}
			w.Header().Set("Retry-After", strconv.Itoa(api.RetryAfterUnavailable))
			writeKannel(w, http.StatusServiceUnavailable, "Temporal failure, try again later")
			return nil
		}
		return reject(api.BackendError(err, "message").Message + ", rejected")
	}
	// Kannel says "Queued for later delivery" when the message is stored
	// but no SMSC can take it now: here, when no modem is registered or the
	// message is deferred.
	if !d.SendAt.IsZero() || !h.anyRegistered(r) {
		writeKannel(w, http.StatusAccepted, "3: Queued for later delivery")
		return nil
	}
	writeKannel(w, http.StatusAccepted, "0: Accepted for delivery")
	return nil
}

// smscRoute is where a Kannel smsc name sends a message.
type smscRoute struct {
	ok    bool
	modem string
	tags  []string
}

// route maps Kannel's smsc to a modem id, or to a tag some modem carries.
// Without a live modem pool (the API on its own) the name is taken as a
// modem id.
func (h *API) route(r *http.Request, smsc string) (smscRoute, *api.Error) {
	ms := h.core.Backend().Modems
	if ms == nil {
		return smscRoute{ok: true, modem: smsc}, nil
	}
	if _, err := ms.Modem(r.Context(), smsc); err == nil {
		return smscRoute{ok: true, modem: smsc}, nil
	} else if !errors.Is(err, smsgw.ErrNotFound) {
		return smscRoute{}, api.BackendError(err, "modems")
	}
	all, err := ms.Modems(r.Context())
	if err != nil {
		return smscRoute{}, api.BackendError(err, "modems")
	}
	for _, m := range all {
		if slices.Contains(m.Tags, smsc) {
			return smscRoute{ok: true, tags: []string{smsc}}, nil
		}
	}
	return smscRoute{}, nil
}

func (h *API) anyRegistered(r *http.Request) bool {
	if h.core.Backend().Modems == nil {
		return false
	}
	ms, err := h.core.Backend().Modems.Modems(r.Context())
	if err != nil {
		return false
	}
	for _, m := range ms {
		if m.Registered() {
			return true
		}
	}
	return false
}

// splitKannelTo splits Kannel's receiver list on spaces and on '+' signs
// that separate numbers (a '+' at the start of a number is its prefix).
func splitKannelTo(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		lead := strings.HasPrefix(f, "+")
		for i, part := range strings.Split(strings.TrimPrefix(f, "+"), "+") {
			if part == "" {
				continue
			}
			if i == 0 && lead {
				part = "+" + part
			}
			out = append(out, part)
		}
	}
	return out
}

// singleByte maps a charset name, upper-cased with spaces, dashes and
// underscores removed, to its table: each of charmap's under its own name
// ("ISO88591", "WINDOWS1252", "KOI8R") and the aliases Kannel users write.
var singleByte = func() map[string]*charmap.Charmap {
	m := map[string]*charmap.Charmap{}
	for _, e := range charmap.All {
		cm, ok := e.(*charmap.Charmap)
		if !ok || cm == charmap.XUserDefined {
			continue
		}
		name := charsetKey(cm.String())
		name = strings.Replace(name, "WINDOWSCODEPAGE", "WINDOWS", 1)
		m[name] = cm
		if n, ok := strings.CutPrefix(name, "IBMCODEPAGE"); ok {
			m["IBM"+n], m["CP"+n] = cm, cm
		}
		if n, ok := strings.CutPrefix(name, "WINDOWS"); ok {
			m["CP"+n] = cm
		}
	}
	for alias, cm := range map[string]*charmap.Charmap{
		"LATIN1": charmap.ISO8859_1, "L1": charmap.ISO8859_1, "LATIN2": charmap.ISO8859_2, "LATIN3": charmap.ISO8859_3,
		"LATIN4": charmap.ISO8859_4, "CYRILLIC": charmap.ISO8859_5, "ARABIC": charmap.ISO8859_6, "GREEK": charmap.ISO8859_7,
		"HEBREW": charmap.ISO8859_8, "LATIN5": charmap.ISO8859_9, "LATIN6": charmap.ISO8859_10, "LATIN7": charmap.ISO8859_13,
		"LATIN8": charmap.ISO8859_14, "LATIN9": charmap.ISO8859_15, "LATIN10": charmap.ISO8859_16, "MAC": charmap.Macintosh,
	} {
		m[alias] = cm
	}
	return m
}()

func charsetKey(name string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return -1
		}
		return unicode.ToUpper(r)
	}, name)
}

// decodeCharset converts Kannel's text bytes to a Go string: UTF-8, UTF-16
// (big-endian unless a byte-order mark says otherwise), UCS-2, and the
// single-byte ISO 8859, Windows, IBM, KOI8 and Macintosh tables. An
// unknown charset is refused by name, as are bytes the charset leaves
// undefined (0x81 in windows-1252).
func decodeCharset(b []byte, charset string) (string, error) {
	key := charsetKey(charset)
	switch key {
	case "", "UTF8":
		if !utf8.Valid(b) {
			return "", fmt.Errorf("text is not valid UTF-8")
		}
		return string(b), nil
	case "UTF16", "UTF16BE", "UCS2", "UCS2BE", "UTF16LE", "UCS2LE":
		return decodeUTF16(b, strings.HasSuffix(key, "LE"))
	}
	cm := singleByte[key]
	if cm == nil {
		return "", fmt.Errorf("unsupported charset %q", charset)
	}
	var sb strings.Builder
	for _, c := range b {
		r := cm.DecodeByte(c)
		if r == utf8.RuneError {
			return "", fmt.Errorf("text has byte 0x%02X, which is no character in %s", c, charset)
		}
		sb.WriteRune(r)
	}
	return sb.String(), nil
}

// decodeUTF16 decodes UTF-16 in the given byte order; a byte-order mark
// overrides the order and is dropped.
func decodeUTF16(b []byte, little bool) (string, error) {
	if len(b)%2 != 0 {
		return "", fmt.Errorf("UTF-16 text has an odd number of bytes")
	}
	switch {
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		little, b = false, b[2:]
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		little, b = true, b[2:]
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		if little {
			u[i] = binary.LittleEndian.Uint16(b[2*i:])
		} else {
			u[i] = binary.BigEndian.Uint16(b[2*i:])
		}
	}
	s := string(utf16.Decode(u))
	if strings.ContainsRune(s, utf8.RuneError) && !slices.Contains(u, 0xFFFD) {
		return "", fmt.Errorf("UTF-16 text has an unpaired surrogate")
	}
	return s, nil
}

// isDigits reports whether s is a non-empty run of ASCII digits.
func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

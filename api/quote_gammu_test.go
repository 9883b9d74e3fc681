package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"smsgw/api"
	"smsgw/campaign"
	"smsgw/modem/pdu"
)

// gammuPython is Debian's interpreter: python3-gammu is importable only by
// /usr/bin/python3, not by a pyenv python3 earlier on PATH.
const gammuPython = "/usr/bin/python3"

// gammuParts counts the parts of each text with python3-gammu, one
// process for all.
func gammuParts(t *testing.T, texts []string) []int {
	t.Helper()
	if err := exec.Command(gammuPython, "-c", "import gammu").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-gammu missing (CI installs it): %v", err)
		}
		t.Skipf("python3-gammu not importable by %s (apt-get install python3-gammu): %v", gammuPython, err)
	}
	var in bytes.Buffer
	enc := json.NewEncoder(&in)
	for _, s := range texts {
		enc.Encode(map[string]any{"text": s, "unicode": !pdu.IsGSM7(s)})
	}
	cmd := exec.Command(gammuPython, "testdata/gammu_parts.py")
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gammu helper: %v\n%s", err, stderr.String())
	}
	var parts []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r struct {
			Parts int    `json:"parts"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Error != "" {
			t.Fatalf("gammu helper answered %q: %v", sc.Text(), err)
		}
		parts = append(parts, r.Parts)
	}
	if len(parts) != len(texts) {
		t.Fatalf("gammu helper answered %d of %d texts\n%s", len(parts), len(texts), stderr.String())
	}
	return parts
}

// Character pools of the random texts: GSM 7-bit (with the escaped
// extension), accented Latin, Cyrillic and emoji outside it.
var (
	xGSM      = []rune("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ!\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà ")
	xExt      = []rune("{}[]~\\|^€")
	xAccented = []rune("áâãçêíóôõúýăąćčďęěğłńňőœřśşšţťůűźżž")
	xCyrillic = []rune("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
	xEmoji    = []rune("😀😂🙂🤔🚀🍕🎉👍🔥✨")
)

// xText draws a text of up to 1000 characters (a contact field's limit)
// of one of five kinds, long enough to need one to several parts.
func xText(rng *rand.Rand) string {
	pools := [][][]rune{{xGSM}, {xGSM, xExt}, {xGSM, xAccented}, {xCyrillic, xGSM}, {xGSM, xEmoji}}[rng.IntN(5)]
	n := 1 + rng.IntN(600)
	var sb strings.Builder
	for i := 0; i < n; i++ {
		p := pools[0]
		if len(pools) > 1 && rng.IntN(4) == 0 {
			p = pools[1]
		}
		sb.WriteRune(p[rng.IntN(len(p))])
	}
	s := strings.TrimSpace(sb.String())
	if s == "" {
		return "x"
	}
	return s
}

// xPrices is the price table of the cross-check, with no default: an
// Italian number is unpriced.
var xPrices = map[string]string{"49": "0.075", "4915": "0.05", "33": "0.09", "1": "0.02", "44": "0.04", "55": "0.03"}

// xPrice is the longest-prefix lookup, written out again here.
func xPrice(table map[string]string, number string) (campaign.Money, bool) {
	d := strings.TrimPrefix(number, "+")
	best := -1
	var price campaign.Money
	for p, v := range table {
		if strings.HasPrefix(d, p) && len(p) > best {
			best = len(p)
			price, _ = campaign.ParseMoney(v)
		}
	}
	return price, best >= 0
}

// TestQuoteMatchesGammu: a quote to a mixed-country audience, each
// recipient its own random text (seeded, so every run draws the same),
// totals exactly what an independent count gives: the parts python3-gammu
// cuts each text into (which must also be the parts the PDU codec sends)
// times the price the longest prefix gives, by country and overall; and
// pinned to a modem, its own tariff with its free parts.
func TestQuoteMatchesGammu(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "DE"})
	var rows []map[string]string
	for p, v := range xPrices {
		rows = append(rows, map[string]string{"prefix": p, "price_per_part": v, "currency": "EUR"})
	}
	e.Want(e.Do("PUT", "/v1/prices", map[string]any{"prices": rows}), 200)

	rng := rand.New(rand.NewPCG(20261207, 14))
	countries := []struct {
		region string
		number func(i int) string
	}{
		{"DE", func(i int) string { return fmt.Sprintf("+49151%08d", 10000000+i) }},
		{"DE", func(i int) string { return fmt.Sprintf("+4930%08d", 20000000+i) }},
		{"FR", func(i int) string { return fmt.Sprintf("+3361%07d", 2000000+i) }},
		{"US", func(i int) string { return fmt.Sprintf("+1212555%04d", 1000+i) }},
		{"GB", func(i int) string { return fmt.Sprintf("+447700%06d", 900000+i) }},
		{"BR", func(i int) string { return fmt.Sprintf("+55119%08d", 80000000+i) }},
		{"IT", func(i int) string { return fmt.Sprintf("+39312%07d", 1000000+i) }},
	}
	const n = 210
	numbers := make([]string, n)
	texts := make([]string, n)
	region := map[string]string{}
	for i := 0; i < n; i++ {
		c := countries[i%len(countries)]
		numbers[i], texts[i] = c.number(i), xText(rng)
		region[numbers[i]] = c.region
		r := e.Do("POST", "/v1/contacts", map[string]any{"number": numbers[i], "fields": map[string]string{"msg": texts[i]}, "groups": []string{"xcheck"}})
		e.Want(r, http.StatusCreated)
	}
	want := gammuParts(t, texts)
	byText := map[string]int{}
	for i, s := range texts {
		// The PDU codec cuts each text into as many parts as gammu does.
		ps, err := pdu.EncodeSubmit(numbers[i], s, pdu.SubmitOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != want[i] {
			t.Errorf("text %d (%d characters): the codec sends %d parts, gammu %d", i, len([]rune(s)), len(ps), want[i])
		}
		byText[numbers[i]] = i
	}

	quote := func(body map[string]any) api.QuoteAnswer {
		t.Helper()
		r := e.Do("POST", "/v1/quote", body)
		e.Want(r, 200)
		var q api.QuoteAnswer
		r.JSON(t, &q)
		return q
	}
	q := quote(map[string]any{"groups": []string{"xcheck"}, "text": "{{fields.msg}}", "category": "transactional"})
	if q.Recipients != n || len(q.Messages) != n || len(q.Skipped) != 0 {
		t.Fatalf("quote: %d recipients, %d skipped", q.Recipients, len(q.Skipped))
	}
	var total campaign.Money
	parts, unpriced := 0, 0
	byCountry := map[string]campaign.CountryCost{}
	for _, m := range q.Messages {
		i, ok := byText[m.To]
		if !ok || m.Text != texts[i] {
			t.Fatalf("message to %s: %q is not its contact's text", m.To, m.Text)
		}
		if m.Parts != want[i] {
			t.Errorf("message to %s (%d characters, %s): quoted %d parts, gammu %d", m.To, len([]rune(texts[i])), m.Coding, m.Parts, want[i])
		}
		if wantCoding := map[bool]string{true: "gsm7", false: "ucs2"}[pdu.IsGSM7(texts[i])]; m.Coding != wantCoding {
			t.Errorf("message to %s: coding %s, want %s", m.To, m.Coding, wantCoding)
		}
		cc := byCountry[region[m.To]]
		cc.Recipients++
		cc.Parts += want[i]
		parts += want[i]
		if price, ok := xPrice(xPrices, m.To); ok {
			cc.Cost += price * campaign.Money(want[i])
			total += price * campaign.Money(want[i])
			if m.Cost == nil || *m.Cost != price*campaign.Money(want[i]) {
				t.Errorf("message to %s: cost %v, want %s", m.To, m.Cost, price*campaign.Money(want[i]))
			}
		} else {
			unpriced++
		}
		byCountry[region[m.To]] = cc
	}
	if q.Total != total || q.Parts != parts || q.Unpriced != unpriced || unpriced != n/len(countries) {
		t.Fatalf("quote total %s, %d parts, %d unpriced; independent count %s, %d parts, %d unpriced", q.Total, q.Parts, q.Unpriced, total, parts, unpriced)
	}
	if len(q.ByCountry) != 6 {
		t.Fatalf("by country: %+v", q.ByCountry)
	}
	for _, c := range q.ByCountry {
		w := byCountry[c.Country]
		if c.Recipients != w.Recipients || c.Parts != w.Parts || c.Cost != w.Cost {
			t.Errorf("country %s: quoted %d recipients, %d parts, %s; independent %d, %d, %s", c.Country, c.Recipients, c.Parts, c.Cost, w.Recipients, w.Parts, w.Cost)
		}
	}
	t.Logf("%d recipients in %d countries: %d parts, %s EUR, %d unpriced", n, len(q.ByCountry), parts, total, unpriced)

	// Pinned to m1, whose SIM has its own prices and 25 free parts: the
	// first 25 parts in the quote's order cost nothing.
	tariff := map[string]string{"49": "0.01", "": "0.07"}
	var trows []map[string]string
	for p, v := range tariff {
		trows = append(trows, map[string]string{"prefix": p, "price_per_part": v, "currency": "EUR"})
	}
	e.Want(e.Do("PUT", "/v1/tariffs/m1", map[string]any{"prices": trows, "free_parts_per_month": 25}), 200)
	q = quote(map[string]any{"groups": []string{"xcheck"}, "text": "{{fields.msg}}", "category": "transactional", "modem": "m1"})
	total, free := 0, 25
	for _, m := range q.Messages {
		p := want[byText[m.To]]
		f := min(free, p)
		free -= f
		price, _ := xPrice(tariff, m.To)
		total += price * campaign.Money(p-f)
	}
	if q.Total != total || q.FreeParts != 25 || q.Unpriced != 0 || q.Modem != "m1" {
		t.Fatalf("pinned quote total %s, %d free, %d unpriced; independent count %s", q.Total, q.FreeParts, q.Unpriced, total)
	}
}

package sim

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// Malformed PDUs are held on the SIM byte for byte and listed as stored;
// a failing AT+CMGD leaves the message in place.
func TestStorePDUAndFailDeletes(t *testing.T) {
	n := newNet(t)
	m := addModem(t, n, Options{SIMCapacity: 3})
	c := openClient(t, m.Path())
	c.cmd("ATE0+CMEE=1")
	bad := []byte{0x00, 0x04, 0x0B, 0x91, 0x44, 0x97} // address cut short
	idx, err := m.StorePDU("SM", 0, bad)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.cmd("AT+CMGL=4"); !strings.Contains(got, "00040B914497") {
		t.Fatalf("CMGL %q", got)
	}
	if filled := m.FillStorageWith([][]byte{bad, {0x00}}); filled != 2 {
		t.Fatalf("FillStorageWith filled %d of the 2 free slots", filled)
	}
	if _, err := m.StorePDU("SM", 0, bad); !errors.Is(err, ErrStorageFull) {
		t.Fatalf("StorePDU on a full SIM: %v", err)
	}
	if _, err := m.StorePDU("XX", 0, bad); err == nil {
		t.Fatal("StorePDU into an unknown memory")
	}
	m.FailDeletes(1, 0)
	if got := c.cmd("AT+CMGD="+strconv.Itoa(idx), "+CMS ERROR: 500\r\n"); !strings.Contains(got, "+CMS ERROR") {
		t.Fatalf("first CMGD %q", got)
	}
	if len(m.Messages()) != 3 {
		t.Fatalf("a failed delete removed the message: %d left", len(m.Messages()))
	}
	if got := c.cmd("AT+CMGD=" + strconv.Itoa(idx)); got != "\r\nOK\r\n" {
		t.Fatalf("second CMGD %q", got)
	}
	if len(m.Messages()) != 2 {
		t.Fatalf("%d messages after the delete", len(m.Messages()))
	}
}

package sim_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"go.bug.st/serial"

	"smsgw/modem/sim"
)

// Two emulated modems on one network: the port is opened like any serial
// device, and a message delivered from outside is announced with +CMTI.
func Example() {
	dir, _ := os.MkdirTemp("", "sim-example")
	defer os.RemoveAll(dir)
	net := sim.NewNetwork(sim.NetworkOptions{})
	defer net.Close(context.Background())
	m, err := net.AddModem(context.Background(), sim.Options{Dir: dir, Profile: "simcom-sim800"})
	if err != nil {
		fmt.Println(err)
		return
	}
	port, err := serial.Open(m.Path(), &serial.Mode{BaudRate: 115200})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer port.Close()
	lines := bufio.NewScanner(port)
	next := func() string {
		for lines.Scan() {
			if l := strings.TrimSpace(lines.Text()); l != "" {
				return l
			}
		}
		return ""
	}
	// The boot banners are waiting in the port.
	for l := next(); l != "SMS Ready"; l = next() {
		fmt.Println(l)
	}
	port.Write([]byte("ATE0\r"))
	fmt.Println(next(), next()) // the echo of ATE0, then OK
	net.Deliver(m.Number(), "+4917012345678", "hello")
	fmt.Println(next())
	// Output:
	// RDY
	// +CFUN: 1
	// +CPIN: READY
	// Call Ready
	// ATE0 OK
	// +CMTI: "SM",1
}

// Package sim emulates USB/serial GSM modems on real pseudo-terminals, for
// tests, benchmarks and `smsgw sim`.
//
// Each emulated modem owns a pty pair; a client opens the slave through a
// stable symlink (Options.Dir/<name>) with go.bug.st/serial exactly as it
// would open /dev/ttyUSB0, and talks AT commands (3GPP TS 27.005/27.007, PDU
// mode) to a command interpreter that reproduces the framing and quirks of
// real devices: command echo on after power-up, verbose result codes, boot
// banners, unsolicited result codes inside responses, prompt spacing, CNMI
// capability matrices, storage sizes, CMS/CME error forms and the SIM PIN/PUK
// state machine. Profiles (see Profiles) select a quirk set per family.
//
// Modems join a Network. A SUBMIT sent with AT+CMGS to the number of another
// emulated modem is delivered there as an SMS-DELIVER (user data, DCS and UDH
// copied verbatim), stored and announced with +CMTI or routed directly with
// +CMT according to the receiver's AT+CNMI, and answered with a status report
// (+CDS or +CDSI) when the SUBMIT requested one. Any other destination lands
// in the network's outbox (Network.Outbox). Tests inject inbound traffic with
// Network.Deliver and Network.DeliverPDU.
//
// Faults: Modem.Hang / HangFor (no answer, port open), Modem.HangOnSubmit
// (silent from the next AT+CMGS on, before its prompt), Modem.HangOnPDU
// (silent right after taking the next PDU), Modem.Unplug /
// Replug (pty closed and symlink removed; then a new pty behind the same
// symlink with a fresh power-up), Modem.Reboot, Modem.FailSubmits (+CMS
// errors on the next submits), Modem.SetSubmitDelay, Modem.SetRegistration,
// Modem.SetRSSI, Modem.FillStorage, Modem.InjectGarbage,
// Modem.FragmentOutput (reads split at arbitrary bytes), Modem.StartNoise
// (URCs at random times), Modem.ResponseNoise (URCs inside every response)
// and Network.DropStatusReports.
//
// Concurrency: all methods of Network and Modem are safe for concurrent use.
// Each modem's AT state is owned by one goroutine; public calls are funnelled
// to it. Network.Close stops every goroutine the package started.
package sim

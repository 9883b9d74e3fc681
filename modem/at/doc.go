// Package at is the AT command engine of smsgw: it runs 3GPP TS 27.007 /
// 27.005 commands over any io.ReadWriteCloser (a go.bug.st/serial port in
// production, a pty or the scripted fake in attest for tests) and knows
// nothing of serial ports.
//
// It copes with what real modems do on the wire (see the project's modem
// quirks notes): lines ended by CR, LF or both, blank and garbage lines, echo
// on or off (and back on after a reset), the "> " prompt with or without CRLF
// or trailing space, unsolicited result codes arriving anywhere (between a
// command and its final code, inside multi-line responses, before the
// prompt), two-line URCs (+CMT, +CDS, +CBM followed by a PDU line), final
// results as typed errors (*CMSError, *CMEError with their 3GPP meaning,
// *ResultError), per-command timeouts with defaults from real devices,
// context cancellation, ESC to leave a prompt, late answers of timed-out
// commands that must not be taken as the next command's, and a port that
// vanishes (every waiter fails at once with ErrClosed).
//
// Classify turns any error from here into a retry class (temporary,
// permanent, modem fault) for the sending policy.
package at

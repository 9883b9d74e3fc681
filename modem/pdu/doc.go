// Package pdu is the SMS codec of 3GPP TS 23.040 (TPDU layout) and
// TS 23.038 (alphabets and data coding): SMS-SUBMIT, SMS-DELIVER and
// SMS-STATUS-REPORT with or without the SMSC field that AT+CMGS, +CMGR,
// +CMGL, +CMT and +CDS put in front; addresses, TP-DCS, validity, time
// stamps, status codes, user data headers, GSM 7-bit (with extension and
// national language tables), UCS-2 and 8-bit data; segmentation and
// reassembly of concatenated messages.
//
// Main entry points:
//
//   - Sending: EncodeSubmit(to, text, SubmitOptions) returns one Part per
//     SMS with the TPDU length for AT+CMGS and the hex PDU. CountParts says
//     how many parts and which coding a text needs; SegmentText returns the
//     DCS and UserData of each part for callers that build TPDUs
//     themselves.
//   - Receiving: Decode / DecodeHex (SMSC field first) and DecodeTPDU /
//     DecodeHexTPDU (bare TPDU) return a Message: *Submit, *Deliver or
//     *StatusReport. Content decodes one message; JoinContent and JoinPDUs
//     decode a set of concatenated parts, joining the payloads first so a
//     character split across parts survives. Joiner collects parts in any
//     order and reports sets left incomplete after a timeout.
//   - Building: fill a Submit, Deliver or StatusReport and call Encode,
//     EncodeHex or EncodeTPDU. UserData is the wire form (TP-UDHI, TP-UDL,
//     TP-UD), so copying DCS and UD from a decoded SUBMIT into a DELIVER
//     reproduces the user data exactly.
//
// Decoders never panic on any input; failures are *DecodeError values that
// name the field and the byte offset, wrapping ErrTruncated, ErrInvalid or
// ErrCompressed.
package pdu

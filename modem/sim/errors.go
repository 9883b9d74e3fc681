package sim

import "fmt"

var cmeTexts = map[int]string{
	3: "operation not allowed", 4: "operation not supported", 10: "SIM not inserted",
	11: "SIM PIN required", 12: "SIM PUK required", 13: "SIM failure", 14: "SIM busy",
	16: "incorrect password", 30: "no network service", 50: "incorrect parameters",
	100: "unknown",
}

var cmsTexts = map[int]string{
	1: "unassigned number", 8: "operator determined barring", 10: "call barred",
	21: "short message transfer rejected", 27: "destination out of service",
	38: "network out of order", 41: "temporary failure", 42: "congestion",
	47: "resources unavailable", 69: "requested facility not implemented",
	300: "ME failure", 301: "SMS service of ME reserved", 302: "operation not allowed",
	303: "operation not supported", 304: "invalid PDU mode parameter",
	305: "invalid text mode parameter", 310: "SIM not inserted", 311: "SIM PIN required",
	313: "SIM failure", 314: "SIM busy", 316: "SIM PUK required", 320: "memory failure",
	321: "invalid memory index", 322: "memory full", 330: "SMSC address unknown",
	331: "no network service", 332: "network timeout", 340: "no +CNMA acknowledgement expected",
	500: "unknown error", 512: "MM establishment failure",
}

func cmeText(code int) string {
	if t, ok := cmeTexts[code]; ok {
		return t
	}
	return fmt.Sprintf("%d", code)
}

func cmsText(code int) string {
	if t, ok := cmsTexts[code]; ok {
		return t
	}
	return fmt.Sprintf("%d", code)
}

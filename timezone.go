package smsgw

import (
	"strings"

	"smsgw/internal/phonenumbers"
)

// TimeZoneOf returns the IANA time zone of an E.164 number: the first zone
// libphonenumber's prefix data gives for the number (prefixes narrow a
// country with several zones, such as US area codes), or "" when the
// number's prefix names none. Send windows in a recipient's own time use
// it where a contact has no zone of its own.
func TimeZoneOf(e164 string) string {
	if !strings.HasPrefix(e164, "+") || !allDigits(e164[1:]) {
		return ""
	}
	zones, err := phonenumbers.GetTimezonesForPrefix(e164)
	if err != nil || len(zones) == 0 || zones[0] == phonenumbers.UNKNOWN_TIMEZONE {
		return ""
	}
	return zones[0]
}

package gateway

import (
	"fmt"
	"strings"
	"time"
)

// waitSwept waits until a modem's start-up storage sweep (AT+CMGL) has had
// its final answer. Tests that count AT commands start counting after it:
// the sweep runs beside the first sends, and on a loaded machine it can
// still be under way when the first message is already sent.
func (r *rig) waitSwept(id string) {
	r.t.Helper()
	r.waitFor(fmt.Sprintf("%s start-up sweep", id), 30*time.Second, func() bool {
		lines, _ := r.g.Trace(id)
		listed := false
		for _, l := range lines {
			_, rest, ok := strings.Cut(l, ` tx "`)
			if ok && strings.HasPrefix(strings.ToUpper(rest), "AT+CMGL") {
				listed = true
				continue
			}
			if listed && (strings.HasSuffix(l, ` rx "OK"`) || strings.Contains(l, ` rx "+CMS ERROR`) || strings.Contains(l, ` rx "ERROR"`)) {
				return true
			}
		}
		return false
	})
}

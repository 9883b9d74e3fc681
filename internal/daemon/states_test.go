package daemon

import (
	"testing"

	"smsgw"
	"smsgw/modem/pool"
)

// TestModemStatesArePools: /metrics exports every state in
// smsgw.ModemStates; it must be the pool's list, in its order.
func TestModemStatesArePools(t *testing.T) {
	pools := []pool.State{pool.StateOffline, pool.StateOpening, pool.StateReady, pool.StateRecovering, pool.StateBenched, pool.StateStopped}
	if len(pools) != len(smsgw.ModemStates) {
		t.Fatalf("smsgw.ModemStates %v, pool states %v", smsgw.ModemStates, pools)
	}
	for i, s := range pools {
		if string(s) != smsgw.ModemStates[i] {
			t.Errorf("state %d: pool %q, smsgw.ModemStates %q", i, s, smsgw.ModemStates[i])
		}
	}
}

package smsgw

import "time"

// ModemStatus is the live view of one modem, as the gateway reports it and
// the API and the CLI show it.
type ModemStatus struct {
	ID           string   `json:"id"`
	Port         string   `json:"port"`
	State        string   `json:"state"` // e.g. ready, initialising, offline, benched
	Manufacturer string   `json:"manufacturer,omitempty"`
	Model        string   `json:"model,omitempty"`
	Revision     string   `json:"revision,omitempty"`
	IMEI         string   `json:"imei,omitempty"`
	IMSI         string   `json:"imsi,omitempty"`
	ICCID        string   `json:"iccid,omitempty"`
	Number       string   `json:"number,omitempty"` // own number, when the SIM or config knows it
	Operator     string   `json:"operator,omitempty"`
	SignalDBM    *int     `json:"signal_dbm,omitempty"`
	SignalBars   int      `json:"signal_bars"`  // 0-4, filled by the API from SignalDBM
	Registration string   `json:"registration"` // home, roaming, searching, denied, unregistered, unknown
	Roaming      bool     `json:"roaming"`
	Tags         []string `json:"tags,omitempty"`
	SIMSlot      int      `json:"sim_slot,omitempty"` // 1-based; android-sms-gateway simNumber
	// Node is the gateway ([node] name) that owns the modem, and
	// NodeAlive whether that gateway beat within its lease and has not
	// left since (both unset where no gateway is running).
	// NodeStoppedAt, set only then, is when that gateway was stopped on
	// purpose; it stays set until the gateway beats again.
	Node          string        `json:"node,omitempty"`
	NodeAlive     *bool         `json:"node_alive,omitempty"`
	NodeStoppedAt *time.Time    `json:"node_stopped_at,omitempty"`
	Counters      ModemCounters `json:"counters"`
	LastError     string        `json:"last_error,omitempty"`
	// BudgetPaused, when set, says which spending cap holds the modem: it
	// claims no message until the cap is raised or its period ends.
	BudgetPaused string     `json:"budget_paused,omitempty"`
	LastErrorAt  *time.Time `json:"last_error_at,omitempty"`
	LastSeen     *time.Time `json:"last_seen,omitempty"`
	Since        *time.Time `json:"since,omitempty"` // first seen / added
	// SignalHistory holds the recent signal readings of the health checks,
	// oldest first (one modem's answer only; lists leave it out).
	SignalHistory []SignalSample `json:"signal_history,omitempty"`
}

// SignalSample is one signal reading: when, and the strength in dBm (nil
// when the modem did not know it).
type SignalSample struct {
	At  time.Time `json:"at"`
	DBm *int      `json:"dbm"`
}

// ModemCounters are a modem's running totals since the daemon started.
// ModemStates are the states a modem of the pool can be in, in the order a
// healthy one passes them (modem/pool's State values): /metrics exports
// each as a one-hot gauge, so a state's series exists before a modem
// first enters it.
var ModemStates = []string{"offline", "opening", "ready", "recovering", "benched", "stopped"}

// ModemCounters are a modem's counters since the daemon started.
type ModemCounters struct {
	Sent       int64 `json:"sent"`
	Failed     int64 `json:"failed"`
	Received   int64 `json:"received"`
	Reconnects int64 `json:"reconnects"`
	// FailuresByCode counts failed sends by +CMS/+CME error code.
	FailuresByCode map[int]int64 `json:"failures_by_code,omitempty"`
}

// Registered reports whether the modem can send now.
func (m ModemStatus) Registered() bool {
	return m.Registration == "home" || m.Registration == "roaming"
}

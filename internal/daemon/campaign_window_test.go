package daemon

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"smsgw/api"
	"smsgw/campaign"
)

// TestDaemonCampaignSendWindow: a campaign with a send window, launched
// through the API on emulated modems, to two contacts in zones twelve
// hours apart. The window is open now on one's wall clock and closed on
// the other's: the first is sent, the second waits unqueued for its
// window to open, and the campaign stays running. The window is set
// around the real time of the test (the daemon's clock is the real one),
// three hours wide, so that the far zone is outside it whatever the hour.
func TestDaemonCampaignSendWindow(t *testing.T) {
	r := newCampaignRig(t, 1, 0)
	now := time.Now().UTC()
	from, to := now.Add(-time.Hour).Format("15:04"), now.Add(2*time.Hour).Format("15:04")
	r.must("POST", "/v1/contacts", `{"number":"+15550125001","name":"Near","time_zone":"UTC"}`, 201, nil)
	// Etc/GMT-12 is UTC+12 (the POSIX sign is reversed).
	r.must("POST", "/v1/contacts", `{"number":"+15550125002","name":"Far","time_zone":"Etc/GMT-12"}`, 201, nil)
	var c campaign.Campaign
	r.must("POST", "/v1/campaigns", fmt.Sprintf(`{"name":"windowed","template":"Hi {{name}}",
		"audience":{"numbers":["+15550125001","+15550125002"]},"window":{"from":%q,"to":%q}}`, from, to), 201, &c)
	if c.Window == nil || c.Window.From != from || c.Window.To != to {
		t.Fatalf("created %+v", c)
	}
	evs := r.events("sms:sent")
	r.must("POST", "/v1/campaigns/"+c.ID+"/launch", "", 202, &c)
	data := waitEvent(t, evs, "sms:sent")
	if !strings.Contains(data, "+15550125001") {
		t.Fatalf("sent %s, want the recipient inside the window", data)
	}
	r.must("GET", "/v1/campaigns/"+c.ID, "", 200, &c)
	if k := c.Counts; c.State != campaign.StateRunning || k.Recipients != 2 || k.Sent+k.Delivered != 1 || k.Pending != 1 {
		t.Fatalf("campaign %s, counts %+v; want one sent and one pending", c.State, k)
	}
	var list api.MessageList
	r.must("GET", "/v1/messages?campaign="+c.ID, "", 200, &list)
	if len(list.Messages) != 1 || list.Messages[0].To != "+15550125001" {
		t.Fatalf("messages %+v; want only the one inside its window", list.Messages)
	}
	var rl api.RecipientList
	r.must("GET", "/v1/campaigns/"+c.ID+"/recipients", "", 200, &rl)
	for _, rc := range rl.Recipients {
		if rc.Number == "+15550125002" && (rc.State != campaign.RecipientPending || rc.MessageID != "") {
			t.Errorf("far recipient %+v, want pending without a message", rc)
		}
	}
	// The timing fields are checked at creation, each with its code.
	for _, bad := range []struct{ body, code string }{
		{`"window":{"from":"09:00","to":"09:00"}`, campaign.CodeInvalidWindow},
		{`"window":{"from":"9am","to":"17:00"}`, campaign.CodeInvalidWindow},
		{`"rate":-5`, campaign.CodeInvalidRate},
		{`"rate":1000000`, campaign.CodeInvalidRate},
		{`"repeat":"every tuesday"`, campaign.CodeInvalidRepeat},
		{`"repeat":"weekly mon 08:00 Mars/Olympus"`, campaign.CodeInvalidRepeat},
		{`"send_at":"2001-01-01T00:00:00Z"`, campaign.CodeInvalidSendAt},
	} {
		st, b := r.do("POST", "/v1/campaigns", `{"name":"x","template":"hi","audience":{"numbers":["+15550125001"]},`+bad.body+`}`)
		if st != 400 || !strings.Contains(string(b), `"code":"`+bad.code+`"`) {
			t.Errorf("%s: %d %s, want 400 %s", bad.body, st, b, bad.code)
		}
	}
}

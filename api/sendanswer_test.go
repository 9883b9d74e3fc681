package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"smsgw/api"
)

// TestSendAnswerIsTheStoredMessages: the 202 of a v1 send, a single or a
// batch with numbers in other spellings, repeated numbers and a
// suppressed recipient, is byte for byte the encoding of the API's view of
// the messages the queue then holds, with its length given when it is
// large (net/http counts a small one).
func TestSendAnswerIsTheStoredMessages(t *testing.T) {
	e := newEnv(t, api.Options{DefaultCountry: "DE"})
	e.Want(e.Do("POST", "/v1/optouts", map[string]any{"number": "+4915100000003"}), http.StatusOK)
	var nums []string
	for i := range 40 {
		nums = append(nums, fmt.Sprintf(`"+49151001%05d"`, i))
	}
	forty := strings.Join(nums, ",")
	bodies := []string{
		`{"to":"+4915112345678","text":"one"}`,
		`{"to":["+49 151 0000 0001","0151 00000002","+4915100000001","+4915100000003"],"text":"offer 😀","category":"marketing"}`,
		`{"to":["+4915100000004","+4915100000005"],"text":"` + strings.Repeat("b", 200) + `","encoding":"ucs2"}`,
		`{"to":["+4915100000006"],"data_hex":"0102","port":5000}`,
		`{"to":[` + forty + `],"text":"forty"}`,
	}
	for _, body := range bodies {
		r := e.Do("POST", "/v1/messages", body)
		e.Want(r, http.StatusAccepted)
		var got api.SendResponse
		r.JSON(t, &got)
		want := api.SendResponse{Batch: got.Batch, Messages: []api.SendResult{}}
		for _, sent := range got.Messages {
			m, err := e.Store.Message(t.Context(), sent.ID)
			if err != nil {
				t.Fatal(err)
			}
			want.Messages = append(want.Messages, api.SendResult{ID: m.ID, To: m.To, State: m.State, Reason: m.Reason, Parts: m.PartCount, Coding: m.Coding})
		}
		w := httptest.NewRecorder()
		api.WriteJSON(w, http.StatusAccepted, want)
		if string(r.Body) != w.Body.String() {
			t.Fatalf("%s:\ngot  %s\nwant %s", body, r.Body, w.Body)
		}
		if cl := r.Header.Get("Content-Length"); (len(r.Body) > 2048 || cl != "") && cl != strconv.Itoa(len(r.Body)) {
			t.Errorf("Content-Length %q for %d bytes", cl, len(r.Body))
		}
		if len(got.Messages) == 1 && r.Header.Get("Location") != "/v1/messages/"+got.Messages[0].ID {
			t.Errorf("Location %q", r.Header.Get("Location"))
		}
		for _, m := range got.Messages {
			if m.To == "+4915100000003" && (m.State != "suppressed" || m.Reason == "") {
				t.Errorf("opted-out recipient: %+v", m)
			}
		}
		if strings.Contains(body, "forty") && (len(got.Messages) != 40 || r.Header.Get("Content-Length") == "") {
			t.Errorf("%d messages for 40 numbers, Content-Length %q", len(got.Messages), r.Header.Get("Content-Length"))
		}
		if strings.Contains(body, "offer") && len(got.Messages) != 3 {
			t.Errorf("%d messages for 3 numbers", len(got.Messages))
		}
	}
}

package gateway

import (
	"fmt"
	"testing"
	"time"

	"smsgw"
	"smsgw/queue"
)

// BenchmarkSendFourModems measures the whole send path (claim, encode,
// AT+CMGS over a pty to the emulator, durable mark) with four emulated
// modems that answer at once: the gateway's own overhead per message.
//
//	go test -run '^$' -bench SendFourModems -benchmem ./gateway/
func BenchmarkSendFourModems(b *testing.B) {
	r := newRigTB(b, rigOptions{modems: 4})
	r.waitReady(4)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	var all []int64
	for i := 0; i < b.N; i++ {
		res, err := r.st.Enqueue(b.Context(), queue.NewMessage{To: []string{"+15557770000"}, Text: fmt.Sprintf("bench %d", i)})
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, res.Messages[0].ID)
	}
	for _, id := range all {
		for {
			m, err := r.st.Get(b.Context(), id)
			if err != nil {
				b.Fatal(err)
			}
			if m.State == smsgw.StateSent {
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msg/s")
}

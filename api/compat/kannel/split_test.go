package kannel

import (
	"strings"
	"testing"
)

func TestSplitKannelTo(t *testing.T) {
	got := strings.Join(splitKannelTo(" +491 +492+493  494 "), ",")
	if got != "+491,+492,493,494" {
		t.Fatal(got)
	}
}

package sqlite

/*
int smsgw_walbuf_register(void);
void smsgw_walbuf_counts(unsigned long *asked, unsigned long *calls);
*/
import "C"

import (
	"fmt"
	"sync"
)

// walbufVFS is the VFS of walbuf.c: SQLite's unix VFS with the writes of
// a commit to the write-ahead log handed to the kernel together. The
// writer connection uses it; readers never write the log.
const walbufVFS = "smsgw-walbuf"

var walbufOnce struct {
	sync.Once
	err error
}

// registerWalbuf registers walbufVFS with SQLite, once per process.
func registerWalbuf() error {
	walbufOnce.Do(func() {
		if rc := C.smsgw_walbuf_register(); rc != 0 {
			walbufOnce.err = fmt.Errorf("queue: register the %s VFS: SQLite error %d", walbufVFS, int(rc))
		}
	})
	return walbufOnce.err
}

// walbufCounts returns how many writes SQLite asked of the logs opened
// through walbufVFS since the program started, and how many reached the
// kernel, modulo the machine's word (take differences of uint32s).
func walbufCounts() (asked, calls uint32) {
	var a, c C.ulong
	C.smsgw_walbuf_counts(&a, &c)
	return uint32(a), uint32(c)
}

package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"smsgw/contacts"
	"smsgw/store/postgres/pgtest"
	"smsgw/store/storetest"
)

// BenchmarkContactImport imports a CSV of 20,000 new contacts with two
// fields into a group, then the same file again (every row merged into a
// stored contact), through contacts.Import's batches of MergeContacts.
func BenchmarkContactImport(b *testing.B) {
	const rows = 20000
	var sb strings.Builder
	sb.WriteString("number,name,city,plan\n")
	for i := range rows {
		fmt.Fprintf(&sb, "+4915%09d,Person %d,City %d,gold\n", i, i, i%100)
	}
	csv := sb.String()
	ctx := context.Background()
	for _, again := range []bool{false, true} {
		name := "new"
		if again {
			name = "merge"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				st := gateway(b, pgtest.DSN(b, "bench_import"), "gw-a", storetest.NewClock())
				if again {
					if _, err := contacts.Import(ctx, st, strings.NewReader(csv), contacts.ImportOptions{Group: "list"}); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				res, err := contacts.Import(ctx, st, strings.NewReader(csv), contacts.ImportOptions{Group: "list"})
				if err != nil || res.Created+res.Updated != rows {
					b.Fatalf("import: %+v, %v", res, err)
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

package emulator_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/flexemu/flexemu/emulator"
)

// BenchmarkSnapshot saves and restores an emulator holding n routed inbound
// conversations (each with its participant, message, Studio execution,
// interaction, task, pending reservation and events), and reports the
// snapshot's size per conversation: make bench-snapshot.
func BenchmarkSnapshot(b *testing.B) {
	for _, n := range []int{300, 1000} {
		b.Run(fmt.Sprintf("conversations=%d", n), func(b *testing.B) {
			emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithFixture(manyChatsFixture(b, n)))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = emu.Close() })
			for i := 0; i < n; i++ {
				if _, err := emu.Account().Inbound(context.Background(),
					emulator.InboundParams{From: fmt.Sprintf("whatsapp:+1555%07d", i), Body: "hello"}); err != nil {
					b.Fatal(err)
				}
			}
			var data []byte
			b.Run("save", func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if data, err = emu.Snapshot(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(data))/float64(n), "bytes/conversation")
				b.ReportMetric(float64(len(data))/(1<<20), "MiB")
			})
			b.Run("restore", func(b *testing.B) {
				file := filepath.Join(b.TempDir(), "state.json")
				if err := os.WriteFile(file, data, 0o600); err != nil {
					b.Fatal(err)
				}
				fx := manyChatsFixture(b, n)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					restored, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithStateFile(file),
						emulator.WithFixture(fx))
					if err != nil {
						b.Fatal(err)
					}
					b.StopTimer()
					_ = restored.Close() // Close saves the state file again: not part of a restore
					b.StartTimer()
				}
			})
		})
	}
}

package emulator_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/fixture"
	"github.com/flexemu/flexemu/emulator/remote"
)

// The inbound load figures of the hardening issue, over HTTP through the
// control API as `send` drives it. Run them side by side with
//
//	make bench-load
//
// BenchmarkInboundSenders/senders=S sends b.N messages, each opening a new
// conversation that goes all the way to a task, from S concurrent senders,
// and reports messages per second and p50/p99 latency (the default
// fixture: Studio flow, Send to Flex, TaskRouter, as `send` sees it). Throughput must not
// collapse with concurrency: each message waits for its own chain only.
func BenchmarkInboundSenders(b *testing.B) {
	for _, senders := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("senders=%d", senders), func(b *testing.B) {
			emu := startedEmulator(b, manyChatsFixture(b, 1000))
			lat := sendConcurrently(b, loadClient(emu.URL()), senders, b.N, 0)
			reportLatency(b, lat)
		})
	}
}

// BenchmarkInboundBesideHangingReceiver measures inbound latency on new
// conversations while the shared webhook receiver hangs on conversation A,
// and the same without the hang, in one run: the difference is what one
// hanging receiver adds to everyone else.
func BenchmarkInboundBesideHangingReceiver(b *testing.B) {
	for _, hang := range []bool{false, true} {
		b.Run(fmt.Sprintf("hanging=%v", hang), func(b *testing.B) {
			emu := startedEmulator(b, manyChatsFixture(b, 1000))
			rx := newHangingReceiver(b)
			globalPostWebhook(b, emu.Account(), rx.srv.URL)
			c := loadClient(emu.URL())
			if hang {
				a, err := c.Inbound(context.Background(), emulator.InboundParams{From: "whatsapp:+15550000000", Body: "A"})
				if err != nil {
					b.Fatal(err)
				}
				rx.hangOn(a.ConversationSID)
				go func() { // keep A's receiver busy: a backlog of its events
					for i := 0; i < 5; i++ {
						_, _ = c.Inbound(context.Background(), emulator.InboundParams{From: "whatsapp:+15550000000", Body: "A again"})
					}
				}()
				time.Sleep(50 * time.Millisecond)
			}
			lat := sendConcurrently(b, c, 1, b.N, 1)
			reportLatency(b, lat)
		})
	}
}

func startedEmulator(b testing.TB, f *fixture.Fixture) *emulator.Emulator {
	b.Helper()
	emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"), emulator.WithFixture(f))
	if err != nil {
		b.Fatal(err)
	}
	if err := emu.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = emu.Close() })
	return emu
}

// sendConcurrently sends n new-conversation messages from senders
// goroutines (customer numbers from offset*1e6 on) to the control API's
// inbound endpoint, as a load tool would (reading each trace, not decoding
// it), and returns each one's latency; it fails the benchmark on any error
// or a trace without a task.
func sendConcurrently(b *testing.B, c *remote.Client, senders, n, offset int) []time.Duration {
	b.Helper()
	var next atomic.Int64
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	var failed atomic.Value
	inbound := c.URL + emulator.ControlPrefix + "/inbound"
	b.ResetTimer()
	start := time.Now()
	for s := 0; s < senders; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf bytes.Buffer // one per sender, as a load tool would reuse it
			for {
				i := int(next.Add(1)) - 1
				if i >= n || failed.Load() != nil {
					return
				}
				body := fmt.Sprintf(`{"from":"whatsapp:+1%03d%07d","body":"hello"}`, 100+offset, i)
				t0 := time.Now()
				resp, err := c.HTTP.Post(inbound, "application/json", strings.NewReader(body))
				if err == nil {
					buf.Reset()
					_, err = buf.ReadFrom(resp.Body)
					resp.Body.Close()
				}
				trace := buf.Bytes()
				lat[i] = time.Since(t0)
				if err == nil && (resp.StatusCode != http.StatusCreated || !bytes.Contains(trace, []byte(`"task.created"`))) {
					err = fmt.Errorf("message %d: %d, a trace without a task: %s", i, resp.StatusCode, trace)
				}
				if err != nil {
					failed.Store(err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/elapsed.Seconds(), "msg/s")
	return lat
}

func reportLatency(b *testing.B, lat []time.Duration) {
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// loadClient keeps a connection per sender alive, as a load tool would.
func loadClient(url string) *remote.Client {
	c := remote.New(url)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	c.HTTP = &http.Client{Transport: tr}
	return c
}

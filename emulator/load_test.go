package emulator_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/emulatortest"
	twclient "github.com/twilio/twilio-go/client"
)

// TestLoadConcurrentInboundWithWebhooks sends 500 customer conversations at
// once to an address whose auto-creation webhook points at a local backend,
// and checks that no message and no delivery is lost and every delivery is
// validly signed. It logs deliveries per second and p99 delivery latency.
func TestLoadConcurrentInboundWithWebhooks(t *testing.T) {
	const customers = 500
	emu := emulatortest.Run(t)
	acct := emu.Account()

	validator := twclient.NewRequestValidator(acct.AuthToken)
	var mu sync.Mutex
	got := map[string]int{} // EventType+ConversationSid → deliveries
	invalid := 0
	rx := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		params := map[string]string{}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
		ok := validator.Validate("http://"+r.Host+r.URL.RequestURI(), params, r.Header.Get("X-Twilio-Signature"))
		mu.Lock()
		got[params["EventType"]+" "+params["ConversationSid"]]++
		if !ok {
			invalid++
		}
		mu.Unlock()
	}))
	defer rx.Close()

	hook, typ, post := rx.URL+"/conv", "webhook", "POST"
	err := acct.Do(func(e *emulator.Engines) error {
		_, err := e.Conversations.UpdateAddressConfiguration("whatsapp:+14155238886", conversations.UpdateAddressConfigurationParams{
			AutoCreation: conversations.AutoCreationParams{Type: &typ, WebhookURL: &hook, WebhookMethod: &post,
				WebhookFilters: []string{"onParticipantAdded", "onMessageAdded"}}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	convs := make([]string, customers)
	errs := make(chan error, customers)
	var wg sync.WaitGroup
	for i := 0; i < customers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tr, err := acct.Inbound(context.Background(), emulator.InboundParams{
				From: fmt.Sprintf("whatsapp:+1555%07d", i), To: "whatsapp:+14155238886", Body: fmt.Sprintf("message %d", i)})
			if err != nil {
				errs <- err
				return
			}
			convs[i] = tr.ConversationSID
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	acct.Settle(context.Background(), 30*time.Second)
	elapsed := time.Since(start)

	mu.Lock()
	defer mu.Unlock()
	if invalid != 0 {
		t.Errorf("%d deliveries failed twilio-go signature validation", invalid)
	}
	for i, ch := range convs {
		for _, ev := range []string{"onParticipantAdded", "onMessageAdded"} {
			if n := got[ev+" "+ch]; n != 1 {
				t.Errorf("customer %d: %s delivered %d times for %s, want exactly once", i, ev, n, ch)
			}
		}
	}
	log := acct.Webhooks().Deliveries()
	if len(log) != 2*customers {
		t.Fatalf("delivery log has %d entries, want %d", len(log), 2*customers)
	}
	lat := make([]float64, 0, len(log))
	for _, d := range log {
		if !d.OK() {
			t.Errorf("delivery %d failed: %d %s", d.ID, d.Status, d.Error)
		}
		lat = append(lat, d.LatencyMS)
	}
	sort.Float64s(lat)
	err = acct.Do(func(e *emulator.Engines) error {
		for i, ch := range convs {
			msgs, err := e.Conversations.Messages(ch, false)
			if err != nil || len(msgs) != 1 || msgs[0].Body != fmt.Sprintf("message %d", i) {
				return fmt.Errorf("conversation %s of customer %d holds %v (%v)", ch, i, msgs, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d conversations, %d signed deliveries in %v: %.0f deliveries/s, p50 %.2f ms, p99 %.2f ms",
		customers, len(log), elapsed.Round(time.Millisecond), float64(len(log))/elapsed.Seconds(),
		lat[len(lat)/2], lat[len(lat)*99/100])
}

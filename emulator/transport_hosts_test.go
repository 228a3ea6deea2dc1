package emulator

import (
	"slices"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// The client transport rewrites exactly the hosts the server serves.
func TestTransportHostsAreTheProducts(t *testing.T) {
	var hosts []string
	for _, p := range products {
		hosts = append(hosts, p.Host)
	}
	slices.Sort(hosts)
	served := slices.Clone(twilio.ServedHosts)
	slices.Sort(served)
	if !slices.Equal(hosts, served) {
		t.Fatalf("twilio.ServedHosts = %v, the server's products serve %v", served, hosts)
	}
}

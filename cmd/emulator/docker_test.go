package main

import (
	"net/http"
	"testing"
)

// TestContainerAddressAnswersServiceHostnames: the Docker image runs
// `up --addr 0.0.0.0:7070`. Clients then reach it through a published port
// (Host 127.0.0.1:7070) or by a service container's name (Host
// flexemu:7070), and the Host-header guard lets both in; on loopback the
// guard turns a foreign name away (DNS rebinding).
func TestContainerAddressAnswersServiceHostnames(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries")
	}
	cases := []struct {
		addr, host string
		want       int
	}{
		{"0.0.0.0:0", "127.0.0.1:7070", http.StatusOK},
		{"0.0.0.0:0", "flexemu:7070", http.StatusOK},
		{"0.0.0.0:0", "localhost", http.StatusOK},
		{"127.0.0.1:0", "flexemu:7070", http.StatusForbidden},
	}
	urls := map[string]string{}
	for _, c := range cases {
		url, ok := urls[c.addr]
		if !ok {
			url, _, _ = startEmulator(t, "--addr", c.addr)
			url = loopbackURL(url)
			urls[c.addr] = url
		}
		req, err := http.NewRequest("GET", url+"/emulator/v1/health", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = c.host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s with Host %s: %v", c.addr, c.host, err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("emulator on %s, Host %s: %s; want %d", c.addr, c.host, resp.Status, c.want)
		}
	}
}

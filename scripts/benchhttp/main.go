// Command benchhttp is a small HTTP load generator for one GET endpoint:
// N keep-alive connections issue requests back to back for a fixed time,
// then it prints requests per second, p50/p99 latency and how many answers
// were not 2xx.
//
// Without -url it starts flexemu in-process on a free loopback port (with
// the embedded default fixture) and targets it; -cpuprofile and -memprofile
// then profile the whole process (server and load generator) during the
// measured phase. With -url it targets any server, such as Prism mocking
// Twilio's OpenAPI spec (scripts/bench-http-prism.sh).
//
//	go run ./scripts/benchhttp                        # flexemu in-process
//	go run ./scripts/benchhttp -cpuprofile cpu.out    # ... and profile it
//	go run ./scripts/benchhttp -url http://127.0.0.1:4010 -path /v1/Workspaces
//
// The last line of output is machine-readable:
//
//	result name=flexemu rps=12345 p50_ms=0.41 p99_ms=2.10 requests=123450 non2xx=0 errors=0
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/flexemu/flexemu/emulator"
)

func main() {
	var (
		target   = flag.String("url", "", "base URL of the server to load; empty starts flexemu in-process")
		path     = flag.String("path", "/taskrouter/v1/Workspaces", "GET path (and query) to request; {WS} is the fixture's workspace SID in-process")
		conns    = flag.Int("c", 8, "concurrent connections (one client goroutine each)")
		dur      = flag.Duration("d", 10*time.Second, "measured duration")
		warmup   = flag.Duration("warmup", time.Second, "unmeasured warm-up before the measured phase")
		user     = flag.String("user", emulator.DefaultAccountSID, "Basic auth user (account SID)")
		pass     = flag.String("pass", emulator.DefaultAuthToken, "Basic auth password (auth token)")
		name     = flag.String("name", "", "label printed with the result (default: flexemu in-process, else the URL's host)")
		cpuprof  = flag.String("cpuprofile", "", "write a CPU profile of the measured phase to this file")
		memprof  = flag.String("memprofile", "", "write an allocation profile (after the measured phase) to this file")
		showBody = flag.Bool("show", false, "print the first response's status and body, then measure")
	)
	flag.Parse()
	if *conns < 1 || *dur <= 0 {
		fatalf("-c must be at least 1 and -d positive")
	}

	base := strings.TrimRight(*target, "/")
	label := *name
	if base == "" {
		if *memprof != "" {
			runtime.MemProfileRate = 64 << 10
		}
		emu, err := emulator.New(emulator.WithAddr("127.0.0.1:0"),
			emulator.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
		if err != nil {
			fatalf("new emulator: %v", err)
		}
		if err := emu.Start(); err != nil {
			fatalf("start emulator: %v", err)
		}
		defer emu.Close()
		base = emu.URL()
		if ws := emu.Account().Setup.Workspace; ws != nil {
			*path = strings.ReplaceAll(*path, "{WS}", ws.SID)
		}
		if label == "" {
			label = "flexemu"
		}
	} else if label == "" {
		label = strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://")
	}
	if strings.Contains(*path, "{WS}") {
		// Against another server any workspace SID will do (Prism accepts
		// whatever matches the path template).
		*path = strings.ReplaceAll(*path, "{WS}", "WS"+strings.Repeat("0", 31)+"1")
	}
	url := base + *path

	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        *conns,
		MaxIdleConnsPerHost: *conns,
		MaxConnsPerHost:     *conns,
		IdleConnTimeout:     90 * time.Second,
		// A per-response timer rather than http.Client.Timeout, which costs
		// a context and a goroutine hand-off per request: the generator
		// shares the cores with an in-process server, so it must be cheap.
		ResponseHeaderTimeout: 10 * time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
	client := &http.Client{Transport: tr}
	defer tr.CloseIdleConnections()

	if *showBody {
		status, body, err := get(client, url, *user, *pass)
		if err != nil {
			fatalf("GET %s: %v", url, err)
		}
		fmt.Printf("GET %s → %d\n%s\n", url, status, body)
	}

	fmt.Printf("GET %s with %d connections for %v (warm-up %v), GOMAXPROCS=%d\n",
		url, *conns, *dur, *warmup, runtime.GOMAXPROCS(0))
	if *warmup > 0 {
		run(client, url, *user, *pass, *conns, *warmup)
	}
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err != nil {
			fatalf("%v", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fatalf("cpu profile: %v", err)
		}
		defer f.Close()
	}
	cpu0 := cpuTime()
	res := run(client, url, *user, *pass, *conns, *dur)
	res.cpu = cpuTime() - cpu0
	if *cpuprof != "" {
		pprof.StopCPUProfile()
	}
	if *memprof != "" {
		f, err := os.Create(*memprof)
		if err != nil {
			fatalf("%v", err)
		}
		if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
			fatalf("mem profile: %v", err)
		}
		f.Close()
	}
	res.print(label)
	if res.requests == 0 || res.errors == res.requests {
		os.Exit(1)
	}
}

type result struct {
	requests, non2xx, errors int
	elapsed                  time.Duration
	cpu                      time.Duration   // this process's CPU time (user+system) during the run
	lat                      []time.Duration // successful round trips, sorted
	firstErr                 error
	firstBad                 string
}

// run keeps conns goroutines requesting url back to back for d.
func run(client *http.Client, url, user, pass string, conns int, d time.Duration) result {
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		res      result
		perConns = make([][]time.Duration, conns)
	)
	ctx := context.Background()
	start := time.Now()
	for i := 0; i < conns; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				fatalf("%v", err)
			}
			req.SetBasicAuth(user, pass)
			req.Header.Set("Accept", "application/json")
			lat := make([]time.Duration, 0, 1<<16)
			var n, non2xx, errs int
			var firstErr error
			var firstBad string
			for !stop.Load() {
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					n++
					continue
				}
				ok := resp.StatusCode >= 200 && resp.StatusCode <= 299
				var body []byte
				if ok {
					_, err = io.Copy(io.Discard, resp.Body) // reads into a pooled buffer
				} else {
					body, err = io.ReadAll(resp.Body)
				}
				resp.Body.Close()
				elapsed := time.Since(t0)
				n++
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				if !ok {
					non2xx++
					if firstBad == "" {
						firstBad = fmt.Sprintf("%d %s", resp.StatusCode, truncate(body, 300))
					}
				}
				lat = append(lat, elapsed)
			}
			perConns[i] = lat
			mu.Lock()
			res.requests += n
			res.non2xx += non2xx
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = firstErr
			}
			if res.firstBad == "" {
				res.firstBad = firstBad
			}
			mu.Unlock()
		}(i)
	}
	time.Sleep(d)
	stop.Store(true)
	wg.Wait()
	res.elapsed = time.Since(start)
	for _, l := range perConns {
		res.lat = append(res.lat, l...)
	}
	sort.Slice(res.lat, func(a, b int) bool { return res.lat[a] < res.lat[b] })
	return res
}

func (r result) print(label string) {
	rps := float64(r.requests-r.errors) / r.elapsed.Seconds()
	p50, p99 := r.percentile(50), r.percentile(99)
	fmt.Printf("%s: %d requests in %v: %.0f req/s, p50 %.3f ms, p99 %.3f ms, non-2xx %d, errors %d\n",
		label, r.requests, r.elapsed.Round(time.Millisecond), rps, ms(p50), ms(p99), r.non2xx, r.errors)
	// With the server in-process this is the server's and the load
	// generator's CPU per request together: unlike req/s it hardly moves
	// when other processes compete for the cores.
	fmt.Printf("  this process: %.0f µs CPU per request (%.2f cores busy)\n",
		float64(r.cpu.Microseconds())/float64(max(r.requests, 1)), r.cpu.Seconds()/r.elapsed.Seconds())
	if r.firstBad != "" {
		fmt.Printf("  first non-2xx: %s\n", r.firstBad)
	}
	if r.firstErr != nil {
		fmt.Printf("  first error: %v\n", r.firstErr)
	}
	fmt.Printf("result name=%s rps=%.0f p50_ms=%.3f p99_ms=%.3f requests=%d non2xx=%d errors=%d\n",
		label, rps, ms(p50), ms(p99), r.requests, r.non2xx, r.errors)
}

func (r result) percentile(p int) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := len(r.lat) * p / 100
	if i >= len(r.lat) {
		i = len(r.lat) - 1
	}
	return r.lat[i]
}

func get(client *http.Client, url, user, pass string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth(user, pass)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchhttp: "+format+"\n", args...)
	os.Exit(2)
}

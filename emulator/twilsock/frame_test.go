package twilsock

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestEncodeFrameCountsBytes(t *testing.T) {
	payload := []byte(`{"body":"héllo ✓"}`)
	b, err := EncodeFrame(map[string]any{"method": "reply", "id": "TMé"}, payload)
	if err != nil {
		t.Fatal(err)
	}
	hdr := `{"id":"TMé","method":"reply","payload_size":21}`
	want := "TWILSOCK V3.0 " + "48" + "\r\n" + hdr + "\r\n" + string(payload)
	if len(hdr) != 48 || len(payload) != 21 {
		t.Fatalf("test arithmetic: header %d, payload %d", len(hdr), len(payload))
	}
	if string(b) != want {
		t.Fatalf("frame\n got %q\nwant %q", b, want)
	}
	f, err := DecodeFrame(b, DefaultMaxHeader, DefaultMaxPayload)
	if err != nil {
		t.Fatal(err)
	}
	if f.Header.ID != "TMé" || f.Header.Method != "reply" || !bytes.Equal(f.Payload, payload) {
		t.Fatalf("decoded %+v payload %q", f.Header, f.Payload)
	}
}

func TestEncodeFrameWithoutPayload(t *testing.T) {
	b, err := EncodeFrame(map[string]any{"method": "close", "id": "TM1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "TWILSOCK V3.0 46\r\n" + `{"id":"TM1","method":"close","payload_size":0}` + "\r\n"
	if string(b) != want {
		t.Fatalf("got %q want %q", b, want)
	}
}

func TestDecodeFrameMessage(t *testing.T) {
	body := `{"body":"Hello from the agent","attributes":"{}"}`
	hdr := map[string]any{"id": "TMbff0", "method": "message", "active_grant": "ip_messaging",
		"payload_type": "application/json; charset=utf-8",
		"http_request": map[string]any{"host": "aim.us1.twilio.com", "path": "/Client/v2/Services/IS1/Conversations/CH1/Messages",
			"method": "POST", "params": map[string]any{"PageSize": 50, "Order": "desc", "Key": "a%20b"},
			"headers": map[string]any{"Content-Type": "application/json; charset=utf-8", "X-Twilio-Mutation-Id": "u-1"}}}
	b, _ := EncodeFrame(hdr, []byte(body))
	f, err := DecodeFrame(b, DefaultMaxHeader, DefaultMaxPayload)
	if err != nil {
		t.Fatal(err)
	}
	hr := f.Header.HTTPRequest
	if hr == nil || hr.Method != "POST" || hr.Host != "aim.us1.twilio.com" || string(f.Payload) != body {
		t.Fatalf("decoded %+v", f.Header)
	}
	params := flatten(hr.Params)
	if params["PageSize"] != "50" || params["Order"] != "desc" || params["Key"] != "a%20b" {
		t.Fatalf("params %v", params)
	}
	if flatten(hr.Headers)["X-Twilio-Mutation-Id"] != "u-1" {
		t.Fatalf("headers %v", hr.Headers)
	}
}

func TestDecodeFrameRefusesMalformed(t *testing.T) {
	good := func(h string, payload string) string {
		return "TWILSOCK V3.0 " + strconv.Itoa(len(h)) + "\r\n" + h + "\r\n" + payload
	}
	cases := map[string]string{
		"empty":                "",
		"no magic":             "HELLO",
		"other version":        "TWILSOCK V2.0 2\r\n{}\r\n",
		"no length":            "TWILSOCK V3.0 \r\n{}\r\n",
		"length not a number":  "TWILSOCK V3.0 1x\r\n{}\r\n",
		"negative length":      "TWILSOCK V3.0 -2\r\n{}\r\n",
		"length line too long": "TWILSOCK V3.0 00000000000002\r\n{}\r\n",
		"huge length":          "TWILSOCK V3.0 9999999999\r\n{}\r\n",
		"no CRLF after length": "TWILSOCK V3.0 2",
		"header cut short":     "TWILSOCK V3.0 40\r\n{}\r\n",
		"no CRLF after header": "TWILSOCK V3.0 2\r\n{}xx",
		"header not JSON":      good("{nope}", ""),
		"header not an object": good(`[1,2]`, ""),
		"header wrong types":   good(`{"method":"init","token":5,"payload_size":0}`, ""),
		"no method":            good(`{"id":"TM1","payload_size":0}`, ""),
		"payload too short":    good(`{"method":"message","payload_size":10}`, "abc"),
		"trailing bytes":       good(`{"method":"message","payload_size":1}`, "ab"),
		"negative payload":     good(`{"method":"message","payload_size":-1}`, ""),
		"payload over bound":   good(`{"method":"message","payload_size":5000000000}`, ""),
		"payload_size float":   good(`{"method":"message","payload_size":1.5}`, "a"),
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := DecodeFrame([]byte(frame), DefaultMaxHeader, DefaultMaxPayload)
			if err == nil || !errors.Is(err, ErrMalformed) {
				t.Fatalf("decoded %+v, err %v", f, err)
			}
		})
	}
	big := `{"method":"x","pad":"` + strings.Repeat("a", 100) + `"}`
	if _, err := DecodeFrame([]byte(good(big, "")), 64, 10); !errors.Is(err, ErrMalformed) {
		t.Fatalf("header over its bound: %v", err)
	}
}

func FuzzDecodeFrame(f *testing.F) {
	b, _ := EncodeFrame(map[string]any{"method": "message", "id": "TM1",
		"http_request": map[string]any{"path": "/x", "params": map[string]any{"a": 1}}}, []byte(`{"a":1}`))
	f.Add(b)
	f.Add([]byte("TWILSOCK V3.0 2\r\n{}\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, err := DecodeFrame(data, 1024, 1024)
		if err != nil {
			return
		}
		if len(fr.Payload) != fr.Header.PayloadSize {
			t.Fatalf("payload %d, size %d", len(fr.Payload), fr.Header.PayloadSize)
		}
		var hdr map[string]any
		if err := json.Unmarshal(fr.Raw, &hdr); err != nil {
			t.Fatalf("accepted a header that is not an object: %v", err)
		}
	})
}

func TestHTTPStatusText(t *testing.T) {
	for code, want := range map[int]string{200: "OK", 404: "NOT_FOUND", 429: "TOO_MANY_REQUESTS", 599: "599"} {
		if got := httpStatusText(code); got != want {
			t.Errorf("%d: %q, want %q", code, got, want)
		}
	}
}

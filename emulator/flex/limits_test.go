package flex

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// nested is a JSON object n levels deep.
func nested(n int) string { return strings.Repeat(`{"a":`, n) + "1" + strings.Repeat("}", n) }

// TestJSONParamLimits: Channel, Routing and participant properties nested
// too deep to render again (directly or inside a JSON string) or over 64 KiB
// are refused with a 400 naming the parameter.
func TestJSONParamLimits(t *testing.T) {
	_, srv, _ := newAPI(t)
	channel := `{"type":"sms","initiated_by":"customer","properties":{"media_channel_sid":"` + convSID + `"}}`
	routing := func(attrs string) string {
		return `{"properties":{"workspace_sid":"` + workspace + `","workflow_sid":"` + workflow + `","attributes":` + attrs + `}}`
	}
	tests := []struct {
		name             string
		channel, routing string
		status           int // 0: any success
		msg              string
	}{
		{"channel 9,999 deep", `{"type":"sms","x":` + nested(9999) + `}`, routing("{}"), 400, "Invalid Channel: JSON is nested more than 32 levels deep"},
		{"routing 9,999 deep", channel, routing(nested(9999)), 400, "Invalid Routing: JSON is nested more than 32 levels deep"},
		{"attributes string 40 deep", channel, routing(strconv.Quote(nested(40))), 400, "Invalid Routing: properties.attributes is nested more than 32 levels deep"},
		{"routing string-wrapped and deep", channel, strconv.Quote(routing(nested(40))), 400, "Invalid Routing: JSON is nested more than 32 levels deep"},
		{"routing over 64 KiB", channel, routing(`{"x":"` + strings.Repeat("y", 64<<10) + `"}`), 400, "Invalid Routing: 65"},
		{"routing 20 deep", channel, routing(nested(20)), 0, ""},
	}
	for _, tt := range tests {
		resp, err := http.PostForm(srv.URL+"/v1/Interactions", url.Values{"Channel": {tt.channel}, "Routing": {tt.routing}})
		if err != nil {
			t.Fatal(err)
		}
		var e twilio.Error
		_ = json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if (tt.status == 0 && resp.StatusCode >= 300) || (tt.status != 0 && resp.StatusCode != tt.status) || (tt.msg != "" && (e.Code != 20001 || !strings.Contains(e.Message, tt.msg))) {
			t.Errorf("%s: got %d %+v, want %d %q", tt.name, resp.StatusCode, e, tt.status, tt.msg)
		}
	}
	for _, tt := range []struct{ param, text, msg string }{
		{"MediaProperties", nested(9999), "Invalid MediaProperties: JSON is nested more than 32 levels deep"},
		{"RoutingProperties", nested(33), "Invalid RoutingProperties: JSON is nested more than 32 levels deep"},
	} {
		if _, err := jsonObjectParam(tt.param, tt.text); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v, want %q", tt.param, err, tt.msg)
		}
	}
}

package emulator_test

import (
	"net/http"
	"testing"

	"github.com/flexemu/flexemu/emulator"
	"github.com/flexemu/flexemu/emulator/controlapi"
	"github.com/flexemu/flexemu/emulator/emulatortest"
)

// Every account route of the control API answers under the account's own
// prefix too; an unknown account is Twilio's 404.
func TestControlRoutesAreAccountScoped(t *testing.T) {
	emu := emulatortest.Run(t)
	sid := emu.Account().SID
	for _, tc := range []struct {
		path   string
		status int
		sid    string
	}{
		{emulator.ControlPrefix + "/info", http.StatusOK, sid},
		{emulator.AccountPrefix + sid + "/info", http.StatusOK, sid},
		{emulator.AccountPrefix + "AC0000000000000000000000000000dead/info", http.StatusNotFound, ""},
		{emulator.AccountPrefix + sid + "/health", http.StatusNotFound, ""}, // emulator routes are not per account
	} {
		status, body := do(t, http.MethodGet, emu.URL()+tc.path, nil, false, "")
		if status != tc.status {
			t.Errorf("GET %s: status %d, want %d (%v)", tc.path, status, tc.status, body)
			continue
		}
		if tc.status == http.StatusOK && body["account_sid"] != tc.sid {
			t.Errorf("GET %s: account_sid %v, want %s", tc.path, body["account_sid"], tc.sid)
		}
		if tc.status == http.StatusNotFound && body["code"] != float64(20404) {
			t.Errorf("GET %s: code %v, want 20404", tc.path, body["code"])
		}
	}
}

// Clients send a route to the account prefix unless controlapi lists it as
// emulator-wide: the list and the route table agree.
func TestEmulatorPathsMatchTheRouteTable(t *testing.T) {
	for _, table := range emulator.ControlTablesForTest() {
		for _, rt := range table {
			if got := controlapi.IsEmulatorPath(rt.Path); got != rt.EmulatorWide {
				t.Errorf("%s %s: controlapi.IsEmulatorPath = %v, but the route is emulator-wide: %v", rt.Method, rt.Path, got, rt.EmulatorWide)
			}
		}
	}
}

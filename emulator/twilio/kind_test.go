package twilio

import (
	"errors"
	"fmt"
	"net/http"
	"testing"
)

func TestKindStatus(t *testing.T) {
	want := map[Kind]int{KindInternal: 500, KindInvalid: 400, KindUnauthorized: 401, KindForbidden: 403, KindNotFound: 404,
		KindMethodNotAllowed: 405, KindConflict: 409, KindPrecondition: 412, KindTooLarge: 413, KindUnsupportedMedia: 415,
		KindUnavailable: 503, Kind(200): 500}
	for k, status := range want {
		if got := k.Status(); got != status {
			t.Errorf("Kind(%d).Status() = %d, want %d", k, got, status)
		}
	}
	for k := KindInternal; k <= KindUnavailable; k++ {
		e := Fail(k, 50000+int(k), "x %d", 1)
		if e.Status != k.Status() || e.Code != 50000+int(k) || e.Message != "x 1" ||
			e.MoreInfo != fmt.Sprintf("https://www.twilio.com/docs/errors/%d", e.Code) || e.Kind() != k {
			t.Errorf("Fail(%d): %+v, kind %d", k, e, e.Kind())
		}
	}
	if k := NewError(http.StatusTeapot, 1, "x").Kind(); k != KindInternal {
		t.Errorf("unmapped status: kind %d", k)
	}
}

// TestHelpersKinds: the shared helpers build errors of the kinds they name.
func TestHelpersKinds(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		kind Kind
		code int
	}{
		{NotFound("/X"), KindNotFound, CodeNotFound},
		{InvalidParam("P", "bad"), KindInvalid, CodeInvalidParameter},
		{MissingParam("P"), KindInvalid, CodeInvalidParameter},
		{BadRequest("bad"), KindInvalid, CodeInvalidParameter},
		{Conflict(50433, "dup"), KindConflict, 50433},
		{Unauthorized(), KindUnauthorized, CodeAuthentication},
		{TooLarge(50504, "Body", 2, 1, "bytes"), KindInvalid, 50504},
		{AsError(errors.New("boom")), KindInternal, CodeInternal},
	} {
		if tc.err.Kind() != tc.kind || tc.err.Code != tc.code || tc.err.Status != tc.kind.Status() {
			t.Errorf("%v: kind %d code %d, want kind %d code %d", tc.err, tc.err.Kind(), tc.err.Code, tc.kind, tc.code)
		}
	}
}

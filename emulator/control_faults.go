package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// faultControl declares and lists injected faults (faults.go).
var faultControl = []controlRoute{
	{method: "POST", path: "/faults", account: (*Emulator).controlAddFault},
	{method: "GET", path: "/faults", account: (*Emulator).controlListFaults},
	{method: "DELETE", path: "/faults", account: (*Emulator).controlClearFaults},
	{method: "DELETE", path: "/faults/{FaultId}", account: (*Emulator).controlRemoveFault},
}

// AddFault declares a fault on the account, as POST /emulator/v1/faults does.
func (a *Account) AddFault(spec FaultSpec) (Fault, error) {
	f, err := compileFault(spec)
	if err != nil {
		return Fault{}, err
	}
	return a.faults.add(f)
}

// Faults lists the account's faults in the order they are matched.
func (a *Account) Faults() []Fault { return a.faults.list() }

func (e *Emulator) controlAddFault(a *Account, w http.ResponseWriter, r *http.Request) {
	spec, err := decodeFaultSpec(r)
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	f, err := a.AddFault(spec)
	if err != nil {
		twilio.WriteError(w, err)
		return
	}
	twilio.WriteJSON(w, http.StatusCreated, f)
}

func (e *Emulator) controlListFaults(a *Account, w http.ResponseWriter, r *http.Request) {
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"faults": a.Faults()})
}

func (e *Emulator) controlClearFaults(a *Account, w http.ResponseWriter, r *http.Request) {
	twilio.WriteJSON(w, http.StatusOK, map[string]any{"removed": a.faults.clear()})
}

func (e *Emulator) controlRemoveFault(a *Account, w http.ResponseWriter, r *http.Request) {
	if !a.faults.remove(r.PathValue("FaultId")) {
		twilio.WriteError(w, twilio.NotFound(r.URL.Path))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// faultFields are FaultSpec's parameters by name, for form bodies and for
// naming unknown ones.
var faultFields = map[string]func(s *FaultSpec) any{
	"product": func(s *FaultSpec) any { return &s.Product }, "method": func(s *FaultSpec) any { return &s.Method },
	"path": func(s *FaultSpec) any { return &s.Path }, "status": func(s *FaultSpec) any { return &s.Status },
	"code": func(s *FaultSpec) any { return &s.Code }, "message": func(s *FaultSpec) any { return &s.Message },
	"url": func(s *FaultSpec) any { return &s.URL }, "mode": func(s *FaultSpec) any { return &s.Mode },
	"body": func(s *FaultSpec) any { return &s.Body }, "delay": func(s *FaultSpec) any { return &s.Delay },
	"times": func(s *FaultSpec) any { return &s.Times },
}

func faultFieldNames() string {
	names := make([]string, 0, len(faultFields))
	for n := range faultFields {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// decodeFaultSpec reads a fault from a JSON or form body. Unknown
// parameters are refused: a misspelt "staus" must not declare a different
// fault than the one meant.
func decodeFaultSpec(r *http.Request) (FaultSpec, error) {
	var spec FaultSpec
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return spec, twilio.BadRequest("could not read body: %v", err)
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			return spec, twilio.BadRequest("body is not a fault (%s): %v", faultFieldNames(), err)
		}
		return spec, nil
	}
	f, err := twilio.DecodeForm(r)
	if err != nil {
		return spec, err
	}
	for name := range f.Values {
		field, ok := faultFields[strings.ToLower(name)]
		if !ok {
			return spec, twilio.InvalidParam(name, "unknown parameter (known: %s)", faultFieldNames())
		}
		v, _ := f.String(name)
		switch dst := field(&spec).(type) {
		case *string:
			*dst = v
		case *int:
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return spec, twilio.InvalidParam(strings.ToLower(name), "%q is not a whole number", v)
			}
			*dst = n
		}
	}
	return spec, nil
}

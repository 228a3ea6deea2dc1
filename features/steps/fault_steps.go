package steps

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/controlapi"
	twclient "github.com/twilio/twilio-go/client"
)

// faultSteps declare injected faults through the control API and find them
// on the timeline (README "Fault injection").
var faultSteps = []stepDef{
	{pattern: `^the (Conversations|TaskRouter|Flex|Studio|Content) API answers (GET|POST|DELETE|PUT|PATCH|any method) "([^"]+)" with Twilio error (\d+) and status (\d{3})(|\s.*)$`, fn: (*World).apiAnswersFault,
		doc: `calls to the route (a path pattern: * is one segment, a final ** the rest) answer that Twilio error; optional clauses: after N seconds, for the next call, for the next N calls`},
	{pattern: `^the (Conversations|TaskRouter|Flex|Studio|Content) API delays (GET|POST|DELETE|PUT|PATCH|any method) "([^"]+)" by ([\d.]+) seconds?(|\s.*)$`, fn: (*World).apiDelaysFault,
		doc: `calls to the route wait that long (real time) before they are served; optional clause: for the next call, for the next N calls`},
	{pattern: `^webhooks to (the receiver|the (?:HTTP|Function|function) widget "[^"]+"|"[^"]+") (time out|fail with status \d{3}|are slowed by [\d.]+ seconds?)(|\s.*)$`, fn: (*World).webhooksFault,
		doc: `deliveries to the target (the receiver, a flow widget's mock, or a URL pattern where * is any text) time out at once as a real timeout would, fail with that status without being sent, or are delayed; optional clause: for the next delivery, for the next N deliveries`},
	{pattern: `^the backend creates a task(|\s.*), retrying on Twilio error (\d+)$`, fn: (*World).backendCreatesTaskRetrying,
		doc: `creates a task through twilio-go as "a task is created" does, trying again (up to 3 times) while the answer is that Twilio error; it becomes "the task"`},
	{pattern: `^the timeline should show (an|\d+) injected faults? on (GET|POST|DELETE|PUT|PATCH|any method) "([^"]+)" with Twilio error (\d+)$`, fn: (*World).timelineShowsRouteFault,
		doc: "the timeline has that many fault.injected entries (an: at least one) of the fault declared on that route, with that code"},
	{pattern: `^the timeline should show (an|\d+) injected (timeouts?|failures?|delays?) on webhooks to (the receiver|the (?:HTTP|Function|function) widget "[^"]+"|"[^"]+")$`, fn: (*World).timelineShowsWebhookFault,
		doc: "the timeline has that many fault.injected entries (an: at least one) of the fault declared on that webhook target, in that mode"},
}

// faultProducts maps the steps' product names to the API path prefixes.
var faultProducts = map[string]string{"Conversations": "conversations", "TaskRouter": "taskrouter", "Flex": "flex-api",
	"Studio": "studio", "Content": "content"}

var (
	faultAfter = regexp.MustCompile(`^after ([\d.]+) seconds?`)
	faultNext  = regexp.MustCompile(`^for the next (?:(call|delivery)|(\d+) (?:calls|deliveries))`)
)

// parseFaultClauses reads the optional "after N seconds" and "for the next
// N calls/deliveries" clauses after a fault step's head.
func parseFaultClauses(spec *controlapi.FaultSpec, tail string, delayAllowed bool) error {
	rest := strings.TrimSpace(tail)
	for rest != "" {
		rest = strings.TrimSpace(strings.TrimPrefix(rest, "and "))
		if m := faultAfter.FindStringSubmatch(rest); m != nil && delayAllowed {
			spec.Delay = m[1] + "s"
			rest = strings.TrimSpace(rest[len(m[0]):])
			continue
		}
		if m := faultNext.FindStringSubmatch(rest); m != nil {
			spec.Times = 1
			if m[2] != "" {
				spec.Times, _ = strconv.Atoi(m[2])
			}
			rest = strings.TrimSpace(rest[len(m[0]):])
			continue
		}
		return fmt.Errorf("unknown fault clause %q (known: after N seconds, for the next call, for the next N calls)", rest)
	}
	return nil
}

func faultMethod(m string) string {
	if m == "any method" {
		return ""
	}
	return m
}

func (w *World) apiAnswersFault(ctx context.Context, product, method, path string, code, status int, tail string) error {
	spec := controlapi.FaultSpec{Product: faultProducts[product], Method: faultMethod(method), Path: path, Code: code, Status: status}
	if err := parseFaultClauses(&spec, tail, true); err != nil {
		return err
	}
	_, err := w.Control.AddFault(ctx, spec)
	return err
}

func (w *World) apiDelaysFault(ctx context.Context, product, method, path, seconds, tail string) error {
	spec := controlapi.FaultSpec{Product: faultProducts[product], Method: faultMethod(method), Path: path, Delay: seconds + "s"}
	if err := parseFaultClauses(&spec, tail, false); err != nil {
		return err
	}
	_, err := w.Control.AddFault(ctx, spec)
	return err
}

// faultTarget is the URL pattern a step names: the receiver (all of it), a
// flow widget's mock, or a quoted pattern.
func (w *World) faultTarget(target string) string {
	switch {
	case target == "the receiver":
		return strings.TrimRight(w.Receiver().URL(), "/") + "/*"
	case strings.HasPrefix(target, "the "):
		name := target[strings.Index(target, `"`)+1 : len(target)-1]
		return w.flow.mockURL() + "/widgets/" + url.PathEscape(name)
	}
	return strings.Trim(target, `"`)
}

func (w *World) webhooksFault(ctx context.Context, target, effect, tail string) error {
	spec := controlapi.FaultSpec{URL: w.faultTarget(target)}
	switch {
	case effect == "time out":
		spec.Mode = "timeout"
	case strings.HasPrefix(effect, "fail with status "):
		spec.Mode = "fail"
		spec.Status, _ = strconv.Atoi(strings.TrimPrefix(effect, "fail with status "))
	default:
		spec.Mode = "slow"
		spec.Delay = strings.Fields(effect)[3] + "s"
	}
	if err := parseFaultClauses(&spec, tail, false); err != nil {
		return err
	}
	_, err := w.Control.AddFault(ctx, spec)
	return err
}

func (w *World) backendCreatesTaskRetrying(ctx context.Context, tail string, code int) error {
	spec := taskSpec{}
	if err := parseTaskClauses(&spec, tail); err != nil {
		return err
	}
	var err error
	for try := 1; try <= 3; try++ {
		if err = w.createTask(spec); err == nil {
			return nil
		}
		var te *twclient.TwilioRestError
		if !errors.As(err, &te) || te.Code != code {
			return err
		}
		time.Sleep(time.Duration(try) * 10 * time.Millisecond) // a backend backs off before it tries again
	}
	return fmt.Errorf("still refused after 3 tries: %w", err)
}

// injectedFaults counts the timeline's fault.injected entries of the
// declared fault find picks, each checked by ok.
func (w *World) injectedFaults(ctx context.Context, want string, find func(controlapi.Fault) bool, ok func(map[string]string) bool) error {
	if err := w.Control.Settle(ctx); err != nil {
		return err
	}
	faults, err := w.Control.Faults(ctx)
	if err != nil {
		return err
	}
	ids := map[string]bool{}
	for _, f := range faults {
		if find(f) {
			ids[f.ID] = true
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("no such fault was declared (faults: %+v)", faults)
	}
	entries, err := w.Control.Timeline(ctx, 0)
	if err != nil {
		return err
	}
	n := 0
	for _, e := range entries {
		if e.Type == controlapi.FaultInjected && ids[e.Refs["fault_id"]] && ok(e.Refs) {
			n++
		}
	}
	if want == "an" {
		if n == 0 {
			return errors.New("the timeline shows no such injected fault")
		}
		return nil
	}
	if wantN, _ := strconv.Atoi(want); n != wantN {
		return fmt.Errorf("the timeline shows %d such injected faults, want %d", n, wantN)
	}
	return nil
}

func (w *World) timelineShowsRouteFault(ctx context.Context, want, method, path string, code int) error {
	m := faultMethod(method)
	return w.injectedFaults(ctx, want,
		func(f controlapi.Fault) bool {
			return f.Kind == controlapi.FaultRoute && f.Method == m && f.Path == path
		},
		func(refs map[string]string) bool { return refs["code"] == strconv.Itoa(code) })
}

func (w *World) timelineShowsWebhookFault(ctx context.Context, want, mode, target string) error {
	mode = map[string]string{"timeout": "timeout", "failure": "fail", "delay": "slow"}[strings.TrimSuffix(mode, "s")]
	u := w.faultTarget(target)
	return w.injectedFaults(ctx, want,
		func(f controlapi.Fault) bool { return f.Kind == controlapi.FaultWebhook && f.URL == u },
		func(refs map[string]string) bool { return refs["mode"] == mode })
}

package studio

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/flexemu/flexemu/emulator/studio/liquid"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// Definition is a parsed, validated flow definition. Raw keeps the JSON as
// saved, which is what the API echoes.
type Definition struct {
	Description  string
	States       []*State
	InitialState string
	Raw          json.RawMessage

	byName    map[string]*State
	templates map[string]*liquid.Template // every Liquid source in the flow, parsed once
}

// State is one widget.
type State struct {
	Name        string
	Type        string
	Transitions []Transition
	Properties  map[string]any
}

// Transition is one outgoing edge of a widget. Next is "" when the event
// ends the execution.
type Transition struct {
	Event      string
	Next       string
	Conditions []Condition
}

// Condition is one split-based-on test.
type Condition struct {
	FriendlyName string
	Arguments    []string
	Type         string
	Value        string
}

// ValidationError is one problem in a definition; PropertyPath is a JSON
// pointer into it ("#/states/2/transitions/0/next").
type ValidationError struct {
	Message      string `json:"message"`
	PropertyPath string `json:"property_path"`
}

// InvalidDefinitionError is the 400 for a definition that does not validate.
// It unwraps to a *twilio.Error (code 20001) whose message lists every error.
type InvalidDefinitionError struct {
	Errors []ValidationError
	err    *twilio.Error
}

// Error returns the Twilio error text, which lists every problem.
func (e *InvalidDefinitionError) Error() string { return e.err.Error() }

// Unwrap exposes the Twilio error the wire layer renders.
func (e *InvalidDefinitionError) Unwrap() error { return e.err }

func newInvalidDefinition(errs []ValidationError) *InvalidDefinitionError {
	parts := make([]string, 0, len(errs))
	for _, ve := range errs {
		parts = append(parts, ve.PropertyPath+": "+ve.Message)
	}
	te := twilio.BadRequest("Invalid Flow Definition: %s", strings.Join(parts, "; "))
	te.Details = map[string]any{"errors": errs}
	return &InvalidDefinitionError{Errors: errs, err: te}
}

// conditionTypes are the split-based-on condition types.
var conditionTypes = map[string]bool{
	"equal_to": true, "not_equal_to": true, "matches_any_of": true, "does_not_match_any_of": true,
	"is_blank": true, "is_not_blank": true, "regex": true, "contains": true, "does_not_contain": true,
	"starts_with": true, "does_not_start_with": true, "less_than": true, "greater_than": true,
	"is_before_time": true, "is_after_time": true, "is_before_date": true, "is_after_date": true,
}

// Flow size limits (docs/fidelity.md, "Limits"): Twilio documents 2,000
// widgets per flow and no byte size; flexemu bounds a Definition at 1 MiB.
const (
	maxWidgets         = 2000
	maxDefinitionBytes = 1 << 20
)

// ParseDefinition decodes and validates a flow definition: state names
// unique, initial_state an existing trigger, every next an existing state,
// widget types and events known, required properties present, every Liquid
// template and literal regex parseable. All problems are reported together
// as an *InvalidDefinitionError. A JSON string holding the definition is
// accepted too.
func ParseDefinition(text string) (*Definition, error) {
	trimmed := bytes.TrimSpace([]byte(text))
	if len(trimmed) == 0 {
		return nil, twilio.MissingParam("Definition")
	}
	// twilio-go JSON-encodes Definition, so a definition passed as a Go
	// string arrives as a JSON string holding the object: unwrap it.
	var inner string
	if json.Unmarshal(trimmed, &inner) == nil {
		trimmed = bytes.TrimSpace([]byte(inner))
	}
	if err := twilio.CheckJSON("Definition", string(trimmed), maxDefinitionBytes); err != nil {
		return nil, err
	}
	var raw struct {
		Description  string `json:"description"`
		InitialState string `json:"initial_state"`
		States       []struct {
			Name        string         `json:"name"`
			Type        string         `json:"type"`
			Properties  map[string]any `json:"properties"`
			Transitions []struct {
				Event      string `json:"event"`
				Next       string `json:"next"`
				Conditions []struct {
					FriendlyName string `json:"friendly_name"`
					Arguments    []any  `json:"arguments"`
					Type         string `json:"type"`
					Value        any    `json:"value"`
				} `json:"conditions"`
			} `json:"transitions"`
		} `json:"states"`
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &probe); err != nil || probe == nil {
		return nil, newInvalidDefinition([]ValidationError{{Message: "definition must be a JSON object", PropertyPath: "#"}})
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, newInvalidDefinition([]ValidationError{{Message: "malformed definition: " + err.Error(), PropertyPath: "#"}})
	}
	d := &Definition{Description: raw.Description, InitialState: raw.InitialState, Raw: json.RawMessage(trimmed),
		byName: map[string]*State{}, templates: map[string]*liquid.Template{}}
	var errs []ValidationError
	add := func(path, format string, args ...any) {
		errs = append(errs, ValidationError{Message: fmt.Sprintf(format, args...), PropertyPath: path})
	}
	if len(raw.States) == 0 {
		add("#/states", "a flow needs at least one state")
	}
	if len(raw.States) > maxWidgets {
		add("#/states", "a flow is limited to %d widgets; this one has %d", maxWidgets, len(raw.States))
	}
	for i, rs := range raw.States {
		path := fmt.Sprintf("#/states/%d", i)
		st := &State{Name: rs.Name, Type: rs.Type, Properties: rs.Properties}
		if st.Properties == nil {
			st.Properties = map[string]any{}
		}
		switch {
		case st.Name == "":
			add(path+"/name", "state name is required")
		case d.byName[st.Name] != nil:
			add(path+"/name", "duplicate state name %q", st.Name)
		default:
			d.byName[st.Name] = st
		}
		for _, rt := range rs.Transitions {
			t := Transition{Event: rt.Event, Next: rt.Next}
			for _, rc := range rt.Conditions {
				c := Condition{FriendlyName: rc.FriendlyName, Type: rc.Type, Value: scalarString(rc.Value)}
				for _, a := range rc.Arguments {
					c.Arguments = append(c.Arguments, scalarString(a))
				}
				t.Conditions = append(t.Conditions, c)
			}
			st.Transitions = append(st.Transitions, t)
		}
		d.States = append(d.States, st)
	}
	if d.InitialState == "" {
		add("#/initial_state", "initial_state is required")
	} else if st := d.byName[d.InitialState]; st == nil {
		add("#/initial_state", "initial_state %q is not a state", d.InitialState)
	} else if st.Type != "trigger" {
		add("#/initial_state", "initial_state %q is a %s widget, not the trigger", d.InitialState, st.Type)
	}
	for i, st := range d.States {
		errs = append(errs, d.validateState(fmt.Sprintf("#/states/%d", i), st)...)
	}
	errs = append(errs, d.checkSubflowRevisions()...)
	if len(errs) > 0 {
		return nil, newInvalidDefinition(errs)
	}
	return d, nil
}

// validateState checks one widget and parses its Liquid.
func (d *Definition) validateState(path string, st *State) []ValidationError {
	var errs []ValidationError
	add := func(p, format string, args ...any) {
		errs = append(errs, ValidationError{Message: fmt.Sprintf(format, args...), PropertyPath: p})
	}
	spec, known := widgets[st.Type]
	switch {
	case st.Type == "":
		add(path+"/type", "widget type is required")
	case !known:
		add(path+"/type", "unknown widget type %q", st.Type)
	}
	events := spec.events
	for j, t := range st.Transitions {
		tp := fmt.Sprintf("%s/transitions/%d", path, j)
		if t.Event == "" {
			add(tp+"/event", "transition event is required")
		} else if events != nil && !containsString(events, t.Event) {
			add(tp+"/event", "%s widget has no event %q (expected one of %s)", st.Type, t.Event, strings.Join(events, ", "))
		}
		if t.Next != "" && d.byName[t.Next] == nil {
			add(tp+"/next", "next %q is not a state", t.Next)
		}
		if st.Type == "split-based-on" && t.Event == "match" && len(t.Conditions) == 0 {
			add(tp+"/conditions", "a match transition needs at least one condition")
		}
		for k, c := range t.Conditions {
			cp := fmt.Sprintf("%s/conditions/%d", tp, k)
			if !conditionTypes[c.Type] {
				add(cp+"/type", "unknown condition type %q", c.Type)
			}
			errs = append(errs, d.parseTemplate(cp+"/value", c.Value)...)
			for a, arg := range c.Arguments {
				errs = append(errs, d.parseTemplate(fmt.Sprintf("%s/arguments/%d", cp, a), arg)...)
			}
			if c.Type == "regex" && !strings.Contains(c.Value, "{{") && !strings.Contains(c.Value, "{%") {
				if _, err := compileCondition(c.Value); err != nil {
					add(cp+"/value", "invalid regular expression: %v", err)
				}
			}
		}
	}
	required := map[string][]string{
		"send-to-flex":            {"workflow", "channel"},
		"split-based-on":          {"input"},
		"send-message":            {"body"},
		"send-and-wait-for-reply": {"body"},
		"make-http-request":       {"url"},
		"run-subflow":             {"flow_sid"},
	}[st.Type]
	if isContentTemplate(st) {
		// A content template carries content_sid instead of a body.
		required = []string{"content_sid"}
		errs = append(errs, validateContentWidget(path+"/properties", st)...)
	}
	for _, key := range required {
		if s, ok := st.Properties[key].(string); !ok || strings.TrimSpace(s) == "" {
			add(path+"/properties/"+key, "%s widget %q needs a %q property", st.Type, st.Name, key)
		}
	}
	if st.Type == "send-to-flex" {
		if v, ok := st.Properties["attributes"]; ok && v != nil {
			if _, isString := v.(string); !isString {
				if _, isObj := v.(map[string]any); !isObj {
					add(path+"/properties/attributes", "attributes must be a string holding JSON")
				}
			}
		}
	}
	if st.Type == "set-variables" {
		vars, ok := st.Properties["variables"].([]any)
		if _, present := st.Properties["variables"]; present && !ok {
			add(path+"/properties/variables", "variables must be an array of {key, value}")
		}
		for i, v := range vars {
			m, ok := v.(map[string]any)
			if key, _ := m["key"].(string); !ok || key == "" {
				add(fmt.Sprintf("%s/properties/variables/%d/key", path, i), "variable key is required")
			}
		}
	}
	if st.Type == "make-http-request" || st.Type == "run-function" {
		errs = append(errs, validateHTTPWidget(path+"/properties", st)...)
	}
	if st.Type == "run-subflow" {
		errs = append(errs, validateSubflowWidget(path+"/properties", st)...)
	}
	errs = append(errs, d.parseProperties(path+"/properties", st.Properties)...)
	return errs
}

// parseProperties parses every string property (recursively) as Liquid,
// skipping canvas layout.
func (d *Definition) parseProperties(path string, v any) []ValidationError {
	var errs []ValidationError
	switch x := v.(type) {
	case string:
		errs = append(errs, d.parseTemplate(path, x)...)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == "offset" {
				continue
			}
			errs = append(errs, d.parseProperties(path+"/"+k, x[k])...)
		}
	case []any:
		for i, item := range x {
			errs = append(errs, d.parseProperties(fmt.Sprintf("%s/%d", path, i), item)...)
		}
	}
	return errs
}

// parseTemplate parses src once and caches it for the runtime.
func (d *Definition) parseTemplate(path, src string) []ValidationError {
	if _, done := d.templates[src]; done || !strings.Contains(src, "{") {
		return nil
	}
	t, err := liquid.Parse(src)
	if err != nil {
		return []ValidationError{{Message: "invalid Liquid template: " + err.Error(), PropertyPath: path}}
	}
	d.templates[src] = t
	return nil
}

// State returns the widget called name, or nil.
func (d *Definition) State(name string) *State { return d.byName[name] }

// transition returns the first transition of st for event, or nil.
func (st *State) transition(event string) *Transition {
	for i := range st.Transitions {
		if st.Transitions[i].Event == event {
			return &st.Transitions[i]
		}
	}
	return nil
}

// compileCondition compiles a regex condition value: case-insensitive and
// anchored, since Studio matches the whole input.
func compileCondition(pattern string) (*regexp.Regexp, error) {
	return regexp.Compile(`(?is)^(?:` + pattern + `)$`)
}

// scalarString renders a JSON scalar as the string Studio would see.
func scalarString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

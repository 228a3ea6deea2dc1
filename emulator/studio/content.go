package studio

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Content is what Studio needs from the Content API: the templates a
// send-message or send-and-wait-for-reply widget names by content_sid.
type Content interface {
	// Template returns the content template with SID sid, false when there
	// is none.
	Template(sid string) (ContentTemplate, bool)
}

// ContentTemplate is one content template (HX…) as Studio sends it.
type ContentTemplate struct {
	SID, FriendlyName, Language string
	// Variables are the template's default placeholder values, keyed by
	// placeholder name ("1").
	Variables map[string]string
	// Body is the template's text, with its {{1}}-style placeholders. Studio
	// fills them from the widget's content variables, else from Variables,
	// to show the customer's view of the message.
	Body string
}

// SetContent connects the Content API; without it, content-template
// messages are sent with their content SID and an empty body.
func (e *Engine) SetContent(c Content) { e.content = c }

// messageTypeContentTemplate is the message_type of a send widget that
// sends a content template (the canvas default, free text, is "custom").
const messageTypeContentTemplate = "content_template"

// isContentTemplate reports whether a send widget sends a content template.
func isContentTemplate(st *State) bool {
	switch st.Type {
	case "send-message", "send-and-wait-for-reply":
		return strings.TrimSpace(prop(st, "message_type")) == messageTypeContentTemplate
	}
	return false
}

// validateContentWidget checks a content-template widget at save time: a
// literal content_sid is an HX SID, and content_variables is a list of
// {key, value} or an object.
func validateContentWidget(path string, st *State) []ValidationError {
	var errs []ValidationError
	if sid := strings.TrimSpace(prop(st, "content_sid")); sid != "" && !strings.Contains(sid, "{") && !twilio.IsSID(sid, "HX") {
		errs = append(errs, ValidationError{PropertyPath: path + "/content_sid",
			Message: fmt.Sprintf("content_sid %q is not a Content SID (HX…)", sid)})
	}
	switch v := st.Properties["content_variables"].(type) {
	case nil, string, map[string]any:
	case []any:
		for i, item := range v {
			if m, ok := item.(map[string]any); !ok || strings.TrimSpace(scalarString(m["key"])) == "" {
				errs = append(errs, ValidationError{PropertyPath: fmt.Sprintf("%s/content_variables/%d/key", path, i),
					Message: "content variable key is required"})
			}
		}
	default:
		errs = append(errs, ValidationError{PropertyPath: path + "/content_variables",
			Message: "content_variables must be a list of {key, value}"})
	}
	return errs
}

// contentMessage is a rendered content-template send.
type contentMessage struct {
	sid       string
	variables map[string]string // placeholder name → value, from the widget
	body      string            // the customer's view
}

// renderContent renders a content-template widget's content_sid and
// content_variables and, with a Content API connected, the template's body
// with its placeholders filled. An unknown template is an error: the
// widget takes its failure path.
func (e *Engine) renderContent(ex *Execution, st *State) (contentMessage, error) {
	var c contentMessage
	sid, err := e.render(ex, prop(st, "content_sid"))
	if err != nil {
		return c, fmt.Errorf("rendering content_sid: %w", err)
	}
	c.sid = strings.TrimSpace(sid)
	if !twilio.IsSID(c.sid, "HX") {
		return c, fmt.Errorf("content_sid %q is not a Content SID (HX…) after rendering", c.sid)
	}
	if c.variables, err = e.renderContentVariables(ex, st); err != nil {
		return c, err
	}
	if e.content == nil {
		return c, nil
	}
	tpl, ok := e.content.Template(c.sid)
	if !ok {
		return c, fmt.Errorf("content template %s does not exist", c.sid)
	}
	c.body = fillPlaceholders(tpl.Body, c.variables, tpl.Variables)
	return c, nil
}

// renderContentVariables renders content_variables: a list of
// {key, value} (the key "1" or "{{1}}"), an object, or a string holding a
// JSON object.
func (e *Engine) renderContentVariables(ex *Execution, st *State) (map[string]string, error) {
	out := map[string]string{}
	set := func(key string, value any) error {
		k := placeholderName(scalarString(key))
		if k == "" {
			return nil
		}
		v, err := e.render(ex, scalarString(value))
		if err != nil {
			return fmt.Errorf("rendering content variable %s: %w", k, err)
		}
		out[k] = v
		return nil
	}
	switch v := st.Properties["content_variables"].(type) {
	case []any:
		for _, item := range v {
			m, _ := item.(map[string]any)
			if err := set(scalarString(m["key"]), m["value"]); err != nil {
				return nil, err
			}
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if err := set(k, v[k]); err != nil {
				return nil, err
			}
		}
	case string:
		text, err := e.render(ex, v)
		if err != nil {
			return nil, fmt.Errorf("rendering content_variables: %w", err)
		}
		if strings.TrimSpace(text) == "" {
			break
		}
		var m map[string]any
		if json.Unmarshal([]byte(text), &m) != nil {
			return nil, fmt.Errorf("content_variables %q is not a JSON object after rendering", text)
		}
		for k, val := range m {
			out[placeholderName(k)] = scalarString(val)
		}
	}
	return out, nil
}

// placeholderName turns a content variable key ("1", "{{1}}") into the
// placeholder's name.
func placeholderName(key string) string {
	key = strings.TrimSpace(key)
	if strings.HasPrefix(key, "{{") && strings.HasSuffix(key, "}}") {
		key = strings.TrimSpace(key[2 : len(key)-2])
	}
	return key
}

// contentPlaceholder matches a content template placeholder: {{1}}, {{name}}.
var contentPlaceholder = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

// fillPlaceholders fills body's placeholders from vars, else defaults; one
// with neither stays as written.
func fillPlaceholders(body string, vars, defaults map[string]string) string {
	return contentPlaceholder.ReplaceAllStringFunc(body, func(m string) string {
		name := contentPlaceholder.FindStringSubmatch(m)[1]
		if v, ok := vars[name]; ok {
			return v
		}
		if v, ok := defaults[name]; ok {
			return v
		}
		return m
	})
}

// variablesJSON is the ContentVariables parameter Conversations takes: a
// JSON object of placeholder values ("" when there are none).
func variablesJSON(vars map[string]string) string {
	if len(vars) == 0 {
		return ""
	}
	b, _ := json.Marshal(vars)
	return string(b)
}

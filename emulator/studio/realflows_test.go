package studio

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// realFlowsDir holds Studio flows exported from Twilio by third parties
// (see its SOURCES.md). It lives outside the repository and is read at test
// time only; tests skip when it is absent.
const realFlowsDir = "../../../shared/real-flows"

// realFlowFiles are the eight flows under test plus the two subflows the
// usvc flow runs.
var realFlowFiles = []string{
	"fpt-messaging-flow.json",
	"fpt-chat-flow.json",
	"fpt-messaging-with-parking-flow.json",
	"hubspot-crm-messaging-flow.json",
	"aselo-messaging-blocking-conv-lambda-sd.tftpl",
	"aselo-ph-with-lex-chatbot-conv-lambda.tftpl",
	"aselo-usvc-sms-vc-sd.tftpl",
	"aselo-co-whatsapp-templates.tftpl",
	"aselo-system-down-subflow.tftpl",
	"aselo-debug-studio-subflow.tftpl",
}

// placeholder matches a Terraform template interpolation.
var placeholder = regexp.MustCompile(`\$\{\s*([A-Za-z0-9_.]+)\s*\}`)

// readRealFlow reads one real flow and fills its deploy-time placeholders
// the way SOURCES.md describes (the Terraform `${ jsonencode(…) }` wrapper
// stripped, each `${name}` inside a JSON string replaced, JSON-escaped).
// fill maps a placeholder name to its value; names it does not know get
// dummyValue. It skips the test when the folder is absent.
func readRealFlow(t *testing.T, name string, fill map[string]string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(realFlowsDir, name))
	if os.IsNotExist(err) {
		t.Skipf("%s is absent: the real flows are read from ../shared/real-flows, outside the repository", realFlowsDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	text := strings.TrimSpace(string(b))
	if strings.HasSuffix(name, ".tftpl") {
		text = stripJSONEncode(t, text)
	}
	return placeholder.ReplaceAllStringFunc(text, func(m string) string {
		key := placeholder.FindStringSubmatch(m)[1]
		v, ok := fill[key]
		if !ok {
			v = dummyValue(t, key)
		}
		q, _ := json.Marshal(v)
		return string(q[1 : len(q)-1]) // inside a JSON string already
	})
}

// stripJSONEncode removes the `${ jsonencode(` … `) }` wrapper of a
// Terraform flow template; a template without it (the channel attributes)
// is returned as it is.
func stripJSONEncode(t *testing.T, text string) string {
	t.Helper()
	if !strings.HasPrefix(text, "${") || !strings.HasSuffix(text, "}") {
		return text
	}
	inner := strings.TrimSpace(text[2 : len(text)-1])
	if !strings.HasPrefix(inner, "jsonencode(") || !strings.HasSuffix(inner, ")") {
		t.Fatalf("template is not a jsonencode call")
	}
	return strings.TrimSpace(inner[len("jsonencode(") : len(inner)-1])
}

// dummyValue is a stand-in for a placeholder: SIDs with the prefix the
// value is used as, URLs on an unroutable local port, texts as "[name]".
func dummyValue(t *testing.T, key string) string {
	sid := func(prefix string) string { return fmt.Sprintf("%s%032x", prefix, len(key)) }
	switch {
	case strings.HasPrefix(key, "channel_flow_vars.") && key != "channel_flow_vars.widget_from":
		return sid("HX") // content templates
	case strings.HasPrefix(key, "WORKFLOW_SID"), strings.HasPrefix(key, "workflow_sids."):
		return sid("WW")
	case key == "CHAT_CHANNEL_SID", strings.HasPrefix(key, "task_channel_sids."):
		return sid("TC")
	case strings.HasSuffix(key, "studio_subflow_sid"):
		return sid("FW")
	case strings.HasSuffix(key, "service_sid"):
		return sid("ZS")
	case strings.HasSuffix(key, "environment_sid"):
		return sid("ZE")
	case strings.HasSuffix(key, "function_sid"):
		return sid("ZH")
	case strings.HasSuffix(key, "_url"), strings.HasSuffix(key, "_base_url"), strings.HasSuffix(key, "url"):
		return "http://127.0.0.1:9/" + strings.ReplaceAll(key, ".", "/")
	case key == "channel_attributes.default":
		return readRealFlow(t, "aselo-channel-attributes-default-conversations.tftpl", nil)
	case key == "system_down_flow_vars.is_system_down":
		return "false"
	}
	return "[" + key + "]"
}

// TestRealFlowsParse: every real exported flow, placeholders filled, is a
// valid definition, and so is accepted by the Flows API.
func TestRealFlowsParse(t *testing.T) {
	for _, name := range realFlowFiles {
		t.Run(name, func(t *testing.T) {
			def := readRealFlow(t, name, nil)
			if _, err := ParseDefinition(def); err != nil {
				t.Fatalf("ParseDefinition: %v", err)
			}
			f := newFixture(t)
			if _, err := f.eng.CreateFlow(CreateFlowParams{FriendlyName: name, Status: FlowPublished, Definition: def}); err != nil {
				t.Fatalf("CreateFlow: %v", err)
			}
		})
	}
}

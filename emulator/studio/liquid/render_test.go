package liquid

import (
	"reflect"
	"sync"
	"testing"
	"time"
)

// t0 is the "now" of every table render.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// studioCtx is a Conversations-triggered execution context after a
// set-variables, an http request and a Send to Flex.
func studioCtx() map[string]any {
	return map[string]any{
		"trigger": map[string]any{
			"conversation": map[string]any{
				"AccountSid":      "AC00000000000000000000000000000001",
				"ConversationSid": "CH00000000000000000000000000000001",
				"MessageSid":      "IM00000000000000000000000000000001",
				"Author":          "+15552223333",
				"Body":            "I need sales",
				"Source":          "SMS",
				"Index":           0.0,
				"DateCreated":     "2026-01-02T03:04:05.000Z",
				"ChannelAttributes": map[string]any{
					"from":                  "+15552223333",
					"KnownAgentRoutingFlag": true,
					"pre_engagement_data":   map[string]any{"friendlyName": "Ada", "email": "ada@example.com"},
				},
			},
		},
		"flow": map[string]any{
			"flow_sid":  "FW00000000000000000000000000000001",
			"channel":   map[string]any{"address": "+15550001111"},
			"variables": map[string]any{"queue": "sales", "selected_queue": "billing", "blank": "", "count": 3.0, "price": 2.5},
			"data":      map[string]any{},
		},
		"contact": map[string]any{"channel": map[string]any{"address": "+15552223333"}},
		"widgets": map[string]any{
			"ChatBot": map[string]any{"memory": map[string]any{
				"twilio": map[string]any{"chat": map[string]any{"ChannelSid": "CH1"}},
				"name":   "Ada", "tags": []any{"a", "b"},
			}},
			"fn": map[string]any{
				"status_code": 200.0,
				"parsed":      map[string]any{"contacts": []any{map[string]any{"vid": 101.0, "name": "A"}, map[string]any{"vid": 102.0, "name": "B"}}},
			},
			"send_to_flex": map[string]any{"TaskSid": "WT00000000000000000000000000000001", "Age": 12.0},
			"send_welcome": map[string]any{"inbound": map[string]any{"Body": "  Sales \n"}},
		},
		"list":    []any{"x", "y", "z"},
		"nums":    []any{3.0, 1.0, 2.0, 1.0},
		"mixed":   []any{"b", nil, 2, "a", nil, 1.5},
		"strs":    []string{"go", "rust"},
		"ints":    map[string]int{"one": 1},
		"yes":     true,
		"no":      false,
		"nothing": nil,
		"html":    `<b>"A&B" 'c'</b>`,
		"long":    "The quick brown fox jumps over the lazy dog and keeps running far away",
	}
}

type renderCase struct {
	name string
	tmpl string
	want string
	ctx  map[string]any // nil: studioCtx()
}

// studioCases are the Send to Flex attribute strings and widget properties
// from docs/studio-and-interactions.md sections 1.4-1.6 and 2.4.
var studioCases = []renderCase{
	{"doc 1.6 attributes", `{"name": "{{trigger.conversation.ChannelAttributes.from}}", "conversationSid": "{{trigger.conversation.ConversationSid}}", "queue": "{{flow.variables.queue | default: 'support'}}"}`,
		`{"name": "+15552223333", "conversationSid": "CH00000000000000000000000000000001", "queue": "sales"}`, nil},
	{"doc 1.6 attributes without queue", `{"name": "{{trigger.conversation.ChannelAttributes.from}}", "conversationSid": "{{trigger.conversation.ConversationSid}}", "queue": "{{flow.variables.queue | default: 'support'}}"}`,
		`{"name": "", "conversationSid": "CH1", "queue": "support"}`,
		map[string]any{"trigger": map[string]any{"conversation": map[string]any{"ConversationSid": "CH1"}}}},
	{"bot memory to_json", `{"memory": {{widgets.ChatBot.memory | to_json}}, "twilioNumber": "{{flow.channel.address}}", "ignoreAgent":"", "transferTargetType":""}`,
		`{"memory": {"name":"Ada","tags":["a","b"],"twilio":{"chat":{"ChannelSid":"CH1"}}}, "twilioNumber": "+15550001111", "ignoreAgent":"", "transferTargetType":""}`, nil},
	{"missing memory to_json is null", `{"memory": {{widgets.Nope.memory | to_json}}}`, `{"memory": null}`, nil},
	{"legacy attributes", `{"name": "{{trigger.message.ChannelAttributes.from}}", "channelType": "{{trigger.message.ChannelAttributes.channel_type}}", "channelSid": "{{trigger.message.ChannelSid}}"}`,
		`{"name": "Bob", "channelType": "web", "channelSid": "CH9"}`,
		map[string]any{"trigger": map[string]any{"message": map[string]any{"ChannelSid": "CH9", "ChannelAttributes": map[string]any{"from": "Bob", "channel_type": "web"}}}}},
	{"legacy attributes under conversations trigger", `{"name":"{{trigger.message.ChannelAttributes.from}}","channelType":"{{trigger.message.ChannelAttributes.channel_type}}","channelSid":"{{trigger.message.ChannelSid}}"}`,
		`{"name":"","channelType":"","channelSid":""}`, nil},
	{"webchat from", `{"from": "{{trigger.conversation.ChannelAttributes.pre_engagement_data.friendlyName}}"}`, `{"from": "Ada"}`, nil},
	{"known agent flag", `{"KnownAgentRoutingFlag": "{{trigger.conversation.ChannelAttributes.KnownAgentRoutingFlag}}"}`, `{"KnownAgentRoutingFlag": "true"}`, nil},
	{"queue selection", `{ "selected_queue": "{{flow.variables.selected_queue}}" }`, `{ "selected_queue": "billing" }`, nil},
	{"empty attributes", `{}`, `{}`, nil},
	{"split input", `{{trigger.conversation.Body}}`, `I need sales`, nil},
	{"send-and-wait reply", `{{widgets.send_welcome.inbound.Body | strip | downcase}}`, `sales`, nil},
	{"array index path", `{{widgets.fn.parsed.contacts[0].vid}}`, `101`, nil},
	{"send to flex outputs", `{{widgets.send_to_flex.TaskSid}} {{widgets.send_to_flex.Age}}`, `WT00000000000000000000000000000001 12`, nil},
	{"send-message canvas defaults", `{{trigger.message.InstanceSid}}|{{flow.channel.address}}|{{contact.channel.address}}`, `|+15550001111|+15552223333`, nil},
	{"status code compare", `{% if widgets.fn.status_code == 200 %}ok{% endif %}`, `ok`, nil},
	{"nil ctx", `a{{trigger.conversation.Body}}b`, `ab`, map[string]any{}},
}

var outputCases = []renderCase{
	{"plain text", `hello`, `hello`, nil},
	{"lone braces are text", `{ "a": 1 } }} {`, `{ "a": 1 } }} {`, nil},
	{"undefined variable", `[{{ nope }}]`, `[]`, nil},
	{"undefined deep path", `[{{ a.b.c.d }}]`, `[]`, nil},
	{"path through scalar", `[{{ trigger.conversation.Body.x }}]`, `[]`, nil},
	{"negative index", `{{ list[-1] }}`, `z`, nil},
	{"index out of range", `[{{ list[9] }}]`, `[]`, nil},
	{"bracket string keys", `{{ flow["variables"]['queue'] }}`, `sales`, nil},
	{"dynamic index", `{% assign i = 1 %}{{ list[i] }}`, `y`, nil},
	{"dynamic key", `{% assign k = "queue" %}{{ flow.variables[k] }}`, `sales`, nil},
	{"dot number index", `{{ list.2 }}`, `z`, nil},
	{"list size first last", `{{ list.size }} {{ list.first }} {{ list.last }}`, `3 x z`, nil},
	{"string size", `{{ trigger.conversation.Body.size }}`, `12`, nil},
	{"map size", `{{ widgets.send_to_flex.size }}`, `2`, nil},
	{"integral float renders without point", `{{ flow.variables.count }}`, `3`, nil},
	{"float renders", `{{ flow.variables.price }}`, `2.5`, nil},
	{"string literals", `{{ "dq" }} {{ 'sq' }}`, `dq sq`, nil},
	{"number literals", `{{ 42 }} {{ -7 }} {{ 1.50 }} {{ 2.0 }}`, `42 -7 1.5 2`, nil},
	{"bool and nil", `{{ yes }} {{ no }} [{{ nothing }}] {{ true }} [{{ nil }}]`, `true false [] true []`, nil},
	{"map renders as JSON", `{{ trigger.conversation.ChannelAttributes.pre_engagement_data }}`, `{"email":"ada@example.com","friendlyName":"Ada"}`, nil},
	{"list renders as JSON", `{{ list }}`, `["x","y","z"]`, nil},
	{"Go slice and map", `{{ strs[1] }} {{ strs.size }} {{ ints.one }} {{ strs | join: "+" }}`, `rust 2 1 go+rust`, nil},
	{"trim output both sides", "a  \n{{- 'b' -}}\n  c", `abc`, nil},
	{"trim tags", "<\n  {%- if true -%}\n  x\n  {%- endif -%}\n>", `<x>`, nil},
	{"trim left only", "a \n{{- 'b' }} c", `ab c`, nil},
	{"empty output", `a{{ }}b{{-  -}} c`, `abc`, nil},
	{"hyphenated identifier", `{{ my-var }}`, `v`, map[string]any{"my-var": "v"}},
	{"question mark identifier", `{{ ok? }}`, `y`, map[string]any{"ok?": "y"}},
	{"unicode text", `héllo {{ "wörld" | upcase }}`, `héllo WÖRLD`, nil},
}

var tagCases = []renderCase{
	{"if true", `{% if yes %}T{% endif %}`, `T`, nil},
	{"if false", `{% if no %}T{% endif %}`, ``, nil},
	{"if undefined", `{% if nope %}T{% else %}F{% endif %}`, `F`, nil},
	{"empty string is truthy", `{% if flow.variables.blank %}T{% else %}F{% endif %}`, `T`, nil},
	{"zero is truthy", `{% if 0 %}T{% endif %}`, `T`, nil},
	{"elsif", `{% if flow.variables.queue == "support" %}S{% elsif flow.variables.queue == "sales" %}L{% else %}O{% endif %}`, `L`, nil},
	{"else", `{% if 1 > 2 %}a{% elsif 2 > 3 %}b{% else %}c{% endif %}`, `c`, nil},
	{"unless", `{% unless no %}U{% endunless %}{% unless yes %}X{% else %}E{% endunless %}`, `UE`, nil},
	{"equality", `{% if "a" == "a" %}1{% endif %}{% if "a" != "b" %}2{% endif %}{% if 1 <> 2 %}3{% endif %}{% if 1 == 1.0 %}4{% endif %}`, `1234`, nil},
	{"number is not string", `{% if 1 == "1" %}eq{% else %}ne{% endif %}`, `ne`, nil},
	{"ordering", `{% if 1 < 2 %}a{% endif %}{% if 2 > 1 %}b{% endif %}{% if 2 <= 2 %}c{% endif %}{% if 3 >= 4 %}d{% endif %}{% if "a" < "b" %}e{% endif %}`, `abce`, nil},
	{"ordering mixed types is false", `{% if "a" < 1 %}a{% else %}b{% endif %}{% if nothing < 1 %}c{% endif %}`, `b`, nil},
	{"contains string", `{% if trigger.conversation.Body contains "sales" %}sales{% endif %}`, `sales`, nil},
	{"contains list", `{% if list contains "y" %}y{% endif %}{% if list contains "q" %}q{% endif %}`, `y`, nil},
	{"contains map key", `{% if flow.variables contains "queue" %}k{% endif %}`, `k`, nil},
	{"contains on nil", `{% if nope contains "a" %}a{% else %}n{% endif %}`, `n`, nil},
	{"and or", `{% if yes and no %}a{% endif %}{% if yes or no %}b{% endif %}{% if no or nope %}c{% endif %}`, `b`, nil},
	{"and/or right to left", `{% if true or false and false %}a{% endif %}{% if false and true or true %}b{% endif %}`, `a`, nil},
	{"empty and blank", `{% if flow.variables.blank == empty %}e{% endif %}{% if nothing == blank %}b{% endif %}{% if list == empty %}x{% endif %}{% if nothing == nil %}n{% endif %}`, `ebn`, nil},
	{"assign", `{% assign q = flow.variables.queue | upcase | append: "!" %}{{ q }}`, `SALES!`, nil},
	{"assign in condition", `{% assign n = 5 %}{% if n > 3 %}big{% endif %}`, `big`, nil},
	{"assign does not leak into ctx", `{% assign trigger = "x" %}{{ trigger }}`, `x`, nil},
	{"for with forloop", `{% for x in list %}{{ forloop.index }}:{{ x }}{% if forloop.first %}F{% endif %}{% if forloop.last %}L{% endif %} {% endfor %}`, `1:xF 2:y 3:zL `, nil},
	{"forloop index0 rindex length", `{% for x in list %}{{ forloop.index0 }}{{ forloop.rindex }}{{ forloop.length }},{% endfor %}`, `033,123,213,`, nil},
	{"for over path list", `{% for c in widgets.fn.parsed.contacts %}{{ c.name }}={{ c.vid }};{% endfor %}`, `A=101;B=102;`, nil},
	{"for else", `{% for x in nope %}x{% else %}none{% endfor %}`, `none`, nil},
	{"for range", `{% for i in (1..3) %}{{ i }}{% endfor %}{% for i in (3..1) %}x{% endfor %}`, `123`, nil},
	{"for range from variable", `{% for i in (1..flow.variables.count) %}{{ i }}{% endfor %}`, `123`, nil},
	{"for limit offset reversed", `{% for x in list limit: 2 %}{{ x }}{% endfor %}|{% for x in list offset: 1 %}{{ x }}{% endfor %}|{% for x in list reversed %}{{ x }}{% endfor %}|{% for x in list offset: 5 %}{{ x }}{% else %}-{% endfor %}`, `xy|yz|zyx|-`, nil},
	{"for break continue", `{% for i in (1..5) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}`, `13`, nil},
	{"for over map", `{% for p in flow.channel %}{{ p[0] }}={{ p[1] }}{% endfor %}`, `address=+15550001111`, nil},
	{"for over string", `{% for s in trigger.conversation.Source %}[{{ s }}]{% endfor %}`, `[SMS]`, nil},
	{"nested for", `{% for a in (1..2) %}{% for b in list limit: 2 %}{{ a }}{{ b }}{{ forloop.index }} {% endfor %}{% endfor %}`, `1x1 1y2 2x1 2y2 `, nil},
	{"loop variable shadows and restores", `{% for list in (1..2) %}{{ list }}{% endfor %}{{ list.size }}`, `123`, nil},
	{"capture", `{% capture who %}{{ trigger.conversation.Author }}/{{ flow.variables.queue }}{% endcapture %}[{{ who }}]`, `[+15552223333/sales]`, nil},
	{"comment", `a{% comment %} {{ ignored }} {% if %} {% comment %}nested{% endcomment %} {% endcomment %}b`, `ab`, nil},
	{"inline comment", `a{% # a note %}b`, `ab`, nil},
	{"raw", `{% raw %}{{ trigger.x }} {% if %}{% endraw %}`, `{{ trigger.x }} {% if %}`, nil},
	{"raw with stray delimiters", `{% raw %}{% {{ {% endraw %}.`, `{% {{ .`, nil},
	{"raw with trim", "a {%- raw -%} {{x}} {%- endraw -%} b", `a {{x}} b`, nil},
}

func runCases(t *testing.T, cases []renderCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = studioCtx()
			}
			tpl, err := Parse(tc.tmpl)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.tmpl, err)
			}
			got, err := tpl.RenderAt(ctx, t0)
			if err != nil {
				t.Fatalf("Render(%q): %v", tc.tmpl, err)
			}
			if got != tc.want {
				t.Errorf("Render(%q)\n got %q\nwant %q", tc.tmpl, got, tc.want)
			}
		})
	}
}

func TestStudioTemplates(t *testing.T) { runCases(t, studioCases) }
func TestOutput(t *testing.T)          { runCases(t, outputCases) }
func TestTags(t *testing.T)            { runCases(t, tagCases) }

func TestRenderConvenience(t *testing.T) {
	got, err := Render(`Hi {{ name | default: "there" }}`, nil)
	if err != nil || got != "Hi there" {
		t.Fatalf("Render = %q, %v", got, err)
	}
}

func TestRenderDoesNotMutateContext(t *testing.T) {
	ctx, want := studioCtx(), studioCtx()
	tpl, err := Parse(`{% assign trigger = 1 %}{% for x in list reversed %}{% endfor %}{{ nums | sort }}{% capture flow %}x{% endcapture %}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tpl.Render(ctx); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ctx, want) {
		t.Fatal("Render changed its context")
	}
}

func TestConcurrentRender(t *testing.T) {
	tpl, err := Parse(`{% assign n = 0 %}{% for x in list %}{% assign n = n | plus: 1 %}{% endfor %}{{ n }}-{{ who }}`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			who := string(rune('a' + i))
			for range 50 {
				got, err := tpl.Render(map[string]any{"list": []any{1, 2, 3}, "who": who})
				if err != nil || got != "3-"+who {
					t.Errorf("got %q, %v", got, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// Without RenderAt there is no "now": the date filter must not read the wall clock.
func TestDateNowWithoutClockPassesThrough(t *testing.T) {
	got, err := Render(`{{ "now" | date: "%Y" }}`, nil)
	if err != nil || got != "now" {
		t.Fatalf("Render = %q, %v; want the input unchanged", got, err)
	}
}

package studio

// widgetSpec describes one widget type as Studio exports it.
type widgetSpec struct {
	// events are the transition events the widget may fire; nil when the
	// emulator does not check them (types whose event list is unconfirmed).
	events []string
	// runs is set for the widgets the emulator executes.
	runs bool
	// voice is set for widgets that act on a call: reached in a messaging
	// or REST execution they cannot run.
	voice bool
}

// widgets lists every widget type a flow definition may use, by its
// exported type string (Studio's widget library, real exports and the
// widget catalog of Studio's REST documentation; the Studio v2 OpenAPI
// spec does not enumerate them). Types not listed are rejected when a flow
// is saved.
var widgets = map[string]widgetSpec{
	// Flow control.
	"trigger":        {events: []string{"incomingMessage", "incomingCall", "incomingConversationMessage", "incomingRequest", "incomingParent"}, runs: true},
	"split-based-on": {events: []string{"noMatch", "match"}, runs: true},
	"set-variables":  {events: []string{"next"}, runs: true},

	// Messaging.
	"send-message":            {events: []string{"sent", "failed"}, runs: true},
	"send-and-wait-for-reply": {events: []string{"incomingMessage", "timeout", "deliveryFailure"}, runs: true},

	// Tools and code execution.
	"make-http-request":  {events: []string{"success", "failed"}, runs: true},
	"run-function":       {events: []string{"success", "fail"}, runs: true},
	"run-subflow":        {events: []string{"completed", "failed"}, runs: true},
	"add-twiml-redirect": {events: []string{"return", "timeout", "fail"}},

	// Twilio products.
	"send-to-flex":             {events: []string{"callComplete", "failedToEnqueue", "callFailure", "composerStarted"}, runs: true},
	"send-to-auto-pilot":       {events: []string{"sessionEnded", "failure", "timeout"}},
	"connect-virtual-agent":    {},
	"connect-virtual-agent-v2": {events: []string{"completed", "live-agent-handoff", "hangup", "failed", "paused", "timeout"}},
	"start-conversation":       {events: []string{"created", "failed"}},
	"resume-conversation":      {events: []string{"resumed", "failed"}},

	// Voice.
	"say-play":               {events: []string{"audioComplete"}, voice: true},
	"gather-input-on-call":   {events: []string{"keypress", "speech", "timeout"}, voice: true},
	"connect-call-to":        {events: []string{"callCompleted", "hangup"}, voice: true},
	"make-outgoing-call-v1":  {voice: true},
	"make-outgoing-call-v2":  {events: []string{"answered", "busy", "noAnswer", "failed"}, voice: true},
	"record-voicemail":       {events: []string{"recordingComplete", "noAudio", "hangup"}, voice: true},
	"record-call":            {events: []string{"success", "failed"}, voice: true},
	"enqueue-call":           {events: []string{"callComplete", "failedToEnqueue", "callFailure"}, voice: true},
	"capture-payments":       {events: []string{"success", "maxFailedAttempts", "providerError", "payInterrupted", "hangup", "validationError"}, voice: true},
	"fork-stream":            {events: []string{"next"}, voice: true},
	"run-conversation-relay": {events: []string{"success", "failed"}, voice: true},
}

// unsupportedWidget explains why the emulator cannot run a widget of type
// st.Type in ex.
func unsupportedWidget(ex *Execution, st *State) string {
	if widgets[st.Type].voice {
		return "widget " + st.Name + " (" + st.Type + ") acts on a voice call; execution " + ex.SID +
			" was started by " + ex.triggerKind() + ", which has no call"
	}
	return "widget " + st.Name + " (" + st.Type + ") is valid in a flow but the emulator cannot run it"
}

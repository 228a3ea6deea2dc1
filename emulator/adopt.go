package emulator

import (
	"strings"

	"github.com/flexemu/flexemu/emulator/cause"
	"github.com/flexemu/flexemu/emulator/twilio"
)

// adoptingCause finds the cause a REST call belongs to when it is about a
// conversation whose webhook is out right now: the user's onMessageAdded
// handler creating the Interaction for it (the setup doc's backend path) is
// part of that message's chain, not a chain of its own. The conversation is
// named in the path (/Conversations/CH…/…) or in a parameter (the
// Interaction's Channel properties).
func (a *Account) adoptingCause(r *twilio.Request) (cause.ID, bool) {
	if !a.causes.Holding() {
		return 0, false
	}
	if id, ok := a.conversationHolder(r.HTTP.URL.Path); ok {
		return id, true
	}
	for _, vs := range r.Form.Values {
		for _, v := range vs {
			if id, ok := a.conversationHolder(v); ok {
				return id, true
			}
		}
	}
	return 0, false
}

// conversationHolder looks for conversation SIDs in text and returns the
// cause holding the first one with a webhook out.
func (a *Account) conversationHolder(text string) (cause.ID, bool) {
	for {
		i := strings.Index(text, "CH")
		if i < 0 {
			return 0, false
		}
		text = text[i:]
		if len(text) >= twilio.SIDLen && twilio.IsSID(text[:twilio.SIDLen], "CH") {
			if id, ok := a.causes.Holder(text[:twilio.SIDLen]); ok {
				return id, true
			}
		}
		text = text[2:]
	}
}

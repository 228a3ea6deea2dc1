package flex

import (
	"net/http"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// webChatRoutes are the Flex webchat entry point's routes (/v2/WebChats):
// create answers 201 with the conversation and the guest's identity, as the
// Flex v2 spec says.
func webChatRoutes() []twilio.Route[*Engine] {
	return []twilio.Route[*Engine]{
		{Method: http.MethodPost, Path: "/v2/WebChats", Status: http.StatusCreated, Handle: createWebChat},
	}
}

type webChatView struct {
	ConversationSID string `json:"conversation_sid"`
	Identity        string `json:"identity"`
}

func createWebChat(e *Engine, r *twilio.Request) (any, error) {
	addr, err := r.Form.Required("AddressSid")
	if err != nil {
		return nil, err
	}
	p := WebChatParams{AddressSID: addr}
	p.ChatFriendlyName, _ = r.Form.String("ChatFriendlyName")
	p.CustomerFriendlyName, _ = r.Form.String("CustomerFriendlyName")
	p.PreEngagementData, _ = r.Form.String("PreEngagementData")
	p.Identity, _ = r.Form.String("Identity")
	wc, err := e.CreateWebChat(p)
	if err != nil {
		return nil, err
	}
	return webChatView{ConversationSID: wc.ConversationSID, Identity: wc.Identity}, nil
}

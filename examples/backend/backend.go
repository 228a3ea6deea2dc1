// Package backend is the setup doc's other inbound path, as a customer would
// write it: a service that Conversations calls with onMessageAdded (an address
// with auto-creation type webhook), that checks X-Twilio-Signature and sends
// the conversation to Flex by creating an Interaction. It talks to Twilio
// only through twilio-go, so it runs unchanged against Twilio or flexemu.
package backend

import (
	"log"
	"net/http"
	"strings"

	"github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	flexapi "github.com/twilio/twilio-go/rest/flex/v1"
)

// Config says where to route conversations and how to check requests.
type Config struct {
	// AuthToken validates X-Twilio-Signature.
	AuthToken string
	// PublicURL is the webhook URL exactly as configured on the address,
	// which is what Twilio signs; empty means rebuild it from the request
	// (fine when no proxy sits in front of this service).
	PublicURL    string
	WorkspaceSID string
	WorkflowSID  string
	// TaskChannel is the task channel unique name; the setup doc uses "chat".
	TaskChannel string
	Client      *twilio.RestClient
	Logger      *log.Logger
}

// Handler serves the onMessageAdded webhook.
func Handler(cfg Config) http.Handler {
	validator := twclient.NewRequestValidator(cfg.AuthToken)
	if cfg.TaskChannel == "" {
		cfg.TaskChannel = "chat"
	}
	logf := func(format string, args ...any) {
		if cfg.Logger != nil {
			cfg.Logger.Printf(format, args...)
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		url := cfg.PublicURL
		if url == "" {
			url = "http://" + r.Host + r.URL.RequestURI()
		}
		params := map[string]string{}
		for k := range r.PostForm {
			params[k] = r.PostForm.Get(k)
		}
		if !validator.Validate(url, params, r.Header.Get("X-Twilio-Signature")) {
			logf("rejected a request with a bad X-Twilio-Signature")
			http.Error(w, "invalid signature", http.StatusForbidden)
			return
		}
		if params["EventType"] != "onMessageAdded" {
			w.WriteHeader(http.StatusOK)
			return
		}
		conversation := params["ConversationSid"]
		p := &flexapi.CreateInteractionParams{}
		p.SetChannel(map[string]any{
			"type":         channelType(params["Author"]),
			"initiated_by": "customer",
			"properties":   map[string]any{"media_channel_sid": conversation},
		})
		p.SetRouting(map[string]any{"properties": map[string]any{
			"workspace_sid":            cfg.WorkspaceSID,
			"workflow_sid":             cfg.WorkflowSID,
			"task_channel_unique_name": cfg.TaskChannel,
			"attributes":               map[string]any{"from": params["Author"]},
		}})
		interaction, err := cfg.Client.FlexV1.CreateInteraction(p)
		if err != nil {
			logf("creating the interaction for %s: %v", conversation, err)
			http.Error(w, "could not create the interaction", http.StatusBadGateway)
			return
		}
		logf("conversation %s sent to Flex as interaction %s", conversation, deref(interaction.Sid))
		// Later messages must not create more interactions: remove this
		// conversation's webhook, as Twilio's samples do.
		if sid := params["WebhookSid"]; sid != "" {
			if err := cfg.Client.ConversationsV1.DeleteConversationScopedWebhook(conversation, sid); err != nil {
				logf("removing webhook %s: %v", sid, err)
			}
		}
		w.WriteHeader(http.StatusOK)
	})
}

func channelType(author string) string {
	if i := strings.IndexByte(author, ':'); i > 0 {
		return author[:i] // whatsapp:, messenger:, …
	}
	if strings.HasPrefix(author, "+") {
		return "sms"
	}
	return "chat"
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

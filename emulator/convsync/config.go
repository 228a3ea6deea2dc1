package convsync

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/flexemu/flexemu/emulator/conversations"
	"github.com/flexemu/flexemu/emulator/twilsock"
)

// defaultAIMHost is the AIM host links name when the SDK reported none.
const defaultAIMHost = "aim.us1.twilio.com"

// serviceBase is the AIM base of the session's service: every link of the
// Configuration hangs off it (AIM paths are flexemu's choice; the SDK
// follows the links).
func (c *conn) serviceBase(service string) string {
	c.hostMu.Lock()
	host := c.aimHost
	c.hostMu.Unlock()
	if host == "" {
		host = defaultAIMHost
	}
	return "https://" + host + "/Client/v2/Services/" + service
}

// noteHost remembers the AIM host the SDK uses (region-specific).
func (c *conn) noteHost(r twilsock.Request) {
	if r.Host == "" || !strings.HasPrefix(r.Host, "aim.") {
		return
	}
	c.hostMu.Lock()
	c.aimHost = r.Host
	c.hostMu.Unlock()
}

// configuration answers GET Client/v2/Configuration (CV configuration.js):
// the user's identity, the names of its two Sync maps, the AIM links and
// options.
func (c *conn) configuration() twilsock.Response {
	reachable, service, objSvc := false, "", ""
	if err := c.svc.backend.Do(c.accountSID, func(eng *conversations.Engine) error {
		service = c.service(eng)
		objSvc = objService(eng, service)
		reachable = eng.Reachable(service)
		return nil
	}); err != nil {
		return aimError(err)
	}
	my, user := userObject(kindMyConversations, objSvc, c.identity), userObject(kindUser, objSvc, c.identity)
	c.svc.remember(c.accountSID, my)
	c.svc.remember(c.accountSID, user)
	base := c.serviceBase(service)
	me := base + "/Users/" + url.PathEscape(c.identity)
	media := strings.TrimRight(c.svc.backend.MediaURL(), "/") + "/v1/Services/" + service
	return jsonResponse(http.StatusOK, map[string]any{
		"identity":     c.identity,
		"sync_objects": map[string]any{"my_conversations": my.uniqueName(), "my_user_info": user.uniqueName()},
		"links": map[string]any{
			"conversations":     base + "/Conversations",
			"my_conversations":  me + "/Conversations",
			"users":             base + "/Users",
			"current_user":      me,
			"typing":            base + "/Typing",
			"messages_receipts": base + "/Conversations/%s/Messages/%s/Receipts",
			"media_service":     media + "/Media",
			"media_set_service": media + "/MediaSet",
		},
		"options": map[string]any{
			"http_cache_interval":                      "PT1S",
			"consumption_report_interval":              "PT10S",
			"reachability_enabled":                     reachable,
			"user_infos_to_subscribe":                  100,
			"media_attachments_count_limit":            10,
			"media_attachment_size_limit_in_mb":        16,
			"media_attachments_total_size_limit_in_mb": 16,
		},
	})
}

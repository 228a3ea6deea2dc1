package conversations

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAPIParticipantByIdentity: the {Sid} segment of a Participant path
// takes the MB SID or the participant's identity, URL-encoded.
func TestAPIParticipantByIdentity(t *testing.T) {
	srv, e, _ := apiServer(t)
	c, err := e.CreateConversation(CreateConversationParams{})
	if err != nil {
		t.Fatal(err)
	}
	add := func(p CreateParticipantParams) *Participant {
		t.Helper()
		part, err := e.AddParticipant(c.SID, p)
		if err != nil {
			t.Fatal(err)
		}
		return part
	}
	alice := add(CreateParticipantParams{Identity: "alice"})
	smith := add(CreateParticipantParams{Identity: "agent smith@example.com"})
	slash := add(CreateParticipantParams{Identity: "team/a"})
	sms := add(CreateParticipantParams{Address: smsCust, ProxyAddress: smsProxy})
	base := "/v1/Conversations/" + c.SID + "/Participants/"
	for _, tc := range []struct {
		name, ref string
		status    int
		want      string // participant SID expected
	}{
		{"by SID", alice.SID, 200, alice.SID},
		{"by identity", "alice", 200, alice.SID},
		{"by encoded identity", url.PathEscape("agent smith@example.com"), 200, smith.SID},
		{"by identity with encoded slash", "team%2Fa", 200, slash.SID},
		{"channel participant by SID", sms.SID, 200, sms.SID},
		{"channel address is not a reference", url.PathEscape(smsCust), 404, ""},
		{"unknown identity", "nobody", 404, ""},
		{"identity is case-sensitive", "Alice", 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := call(t, srv, "GET", base+tc.ref, nil)
			if status != tc.status {
				t.Fatalf("GET status %d, want %d: %v", status, tc.status, body)
			}
			if tc.status == 200 && (body["sid"] != tc.want || !strings.HasSuffix(body["url"].(string), "/Participants/"+tc.want)) {
				t.Errorf("fetched %v / %v, want %s with its SID URL", body["sid"], body["url"], tc.want)
			}
			if tc.status == 404 && body["code"] != float64(20404) {
				t.Errorf("404 body %v", body)
			}
		})
	}

	// Update and delete by identity act on the same participant.
	up := mustCall(t, srv, 200, "POST", base+url.PathEscape("agent smith@example.com"), encodeQuery("Attributes", `{"x":1}`))
	if up["sid"] != smith.SID || up["attributes"] != `{"x":1}` {
		t.Errorf("update by identity: %v", up)
	}
	if got, _ := e.Participant(c.SID, smith.SID); got.Attributes != `{"x":1}` {
		t.Errorf("stored attributes %q", got.Attributes)
	}
	mustCall(t, srv, http.StatusNotFound, "POST", base+"nobody", encodeQuery("Attributes", `{}`))
	mustCall(t, srv, http.StatusNoContent, "DELETE", base+"team%2Fa", nil)
	if _, err := e.Participant(c.SID, slash.SID); err == nil {
		t.Error("participant deleted by identity still exists")
	}
	mustCall(t, srv, http.StatusNotFound, "DELETE", base+"team%2Fa", nil)
	if parts, _ := e.Participants(c.SID); len(parts) != 3 {
		t.Errorf("%d participants left, want 3", len(parts))
	}
}

// TestParticipantRoleSid: a participant's RoleSid must be a conversation
// role of the conversation's service, on add and on update.
func TestParticipantRoleSid(t *testing.T) {
	e, _ := newTestEngine(t)
	svc, err := e.Service(e.DefaultServiceSID())
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.CreateService(CreateServiceParams{FriendlyName: "other"})
	if err != nil {
		t.Fatal(err)
	}
	custom, err := e.CreateRole("", CreateRoleParams{FriendlyName: "moderator", Type: RoleTypeConversation, Permissions: []string{"sendMessage"}})
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := e.CreateRole(other.SID, CreateRoleParams{FriendlyName: "elsewhere", Type: RoleTypeConversation, Permissions: []string{"sendMessage"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, role   string
		code, status int
		mention      string
	}{
		{"default conversation role", svc.DefaultConversationRoleSID, 0, 0, ""},
		{"custom conversation role", custom.SID, 0, 0, ""},
		{"malformed", "moderator", 20001, 400, "RoleSid"},
		{"unknown role", "RL00000000000000000000000000000000", CodeParticipantRoleNotFound, 400, "RoleSid"},
		{"role of another service", foreign.SID, CodeParticipantRoleNotFound, 400, "RoleSid"},
		{"service role", svc.DefaultChatServiceRoleSID, 20001, 400, "RoleSid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := e.CreateConversation(CreateConversationParams{})
			if err != nil {
				t.Fatal(err)
			}
			check := func(op string, err error) {
				t.Helper()
				code, status := errCode(t, err)
				if code != tc.code || status != tc.status {
					t.Fatalf("%s: code %d status %d (%v), want %d/%d", op, code, status, err, tc.code, tc.status)
				}
				if err != nil && !strings.Contains(err.Error(), tc.mention) {
					t.Errorf("%s: message %q does not name %s", op, err, tc.mention)
				}
			}
			p, err := e.AddParticipant(c.SID, CreateParticipantParams{Identity: "alice", RoleSID: tc.role})
			check("AddParticipant", err)
			if parts, _ := e.Participants(c.SID); (err == nil) != (len(parts) == 1) {
				t.Fatalf("after AddParticipant (err %v): %d participants", err, len(parts))
			}
			if err == nil && p.RoleSID != tc.role {
				t.Errorf("role %s, want %s", p.RoleSID, tc.role)
			}
			bob, err := e.AddParticipant(c.SID, CreateParticipantParams{Identity: "bob"})
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.UpdateParticipant(c.SID, "bob", UpdateParticipantParams{RoleSID: &tc.role, Attributes: ptr(`{"changed":true}`)})
			check("UpdateParticipant", err)
			got, _ := e.Participant(c.SID, bob.SID)
			if err != nil && (got.RoleSID != svc.DefaultConversationRoleSID || got.Attributes != "{}") {
				t.Errorf("failed update changed the participant: %+v", got)
			}
			if err == nil && got.RoleSID != tc.role {
				t.Errorf("updated role %s, want %s", got.RoleSID, tc.role)
			}
		})
	}
}

// TestAPIParticipantRoleSidError: the 50109 error reaches REST callers.
func TestAPIParticipantRoleSidError(t *testing.T) {
	srv, e, _ := apiServer(t)
	c, _ := e.CreateConversation(CreateConversationParams{})
	status, body := call(t, srv, "POST", "/v1/Conversations/"+c.SID+"/Participants",
		encodeQuery("Identity", "alice", "RoleSid", "RL00000000000000000000000000000000"))
	if status != 400 || body["code"] != float64(CodeParticipantRoleNotFound) || !strings.Contains(body["message"].(string), "RoleSid") {
		t.Errorf("status %d body %v", status, body)
	}
}

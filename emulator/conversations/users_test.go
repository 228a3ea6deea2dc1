package conversations

import (
	"net/http"
	"strings"
	"testing"
)

// newConv creates a conversation or fails the test.
func newConv(t *testing.T, e *Engine, p CreateConversationParams) *Conversation {
	t.Helper()
	c, err := e.CreateConversation(p)
	if err != nil {
		t.Fatalf("CreateConversation(%+v): %v", p, err)
	}
	return c
}

func newUser(t *testing.T, e *Engine, service string, p CreateUserParams) *User {
	t.Helper()
	u, err := e.CreateUser(service, p)
	if err != nil {
		t.Fatalf("CreateUser(%q, %+v): %v", service, p, err)
	}
	return u
}

// wantErr fails unless err is the Twilio error code/status and its message
// mentions every fragment (parameter names, SIDs).
func wantErr(t *testing.T, err error, code, status int, fragments ...string) {
	t.Helper()
	c, s := errCode(t, err)
	if c != code || s != status {
		t.Fatalf("error %v: got code %d status %d, want %d/%d", err, c, s, code, status)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func TestCreateUserValidation(t *testing.T) {
	e, _ := newTestEngine(t)
	other, _ := e.CreateService(CreateServiceParams{FriendlyName: "Other"})
	newUser(t, e, "", CreateUserParams{Identity: "alice"})
	svc, _ := e.Service(e.DefaultServiceSID())
	cases := []struct {
		name         string
		service      string
		p            CreateUserParams
		code, status int
		mention      string
	}{
		{name: "missing identity", p: CreateUserParams{}, code: 20001, status: 400, mention: "Identity"},
		{name: "duplicate identity", p: CreateUserParams{Identity: "alice"}, code: CodeUserExists, status: http.StatusConflict, mention: "alice"},
		{name: "identity looks like a SID", p: CreateUserParams{Identity: "US0123456789abcdef0123456789abcdef"}, code: CodeIdentityLooksLikeSID, status: 400, mention: "Identity"},
		{name: "identity too long", p: CreateUserParams{Identity: strings.Repeat("x", 257)}, code: 20001, status: 400, mention: "Identity"},
		{name: "bad attributes", p: CreateUserParams{Identity: "bob", Attributes: "{nope"}, code: 20001, status: 400, mention: "Attributes"},
		{name: "malformed role", p: CreateUserParams{Identity: "bob", RoleSID: "admin"}, code: 20001, status: 400, mention: "RoleSid"},
		{name: "unknown role", p: CreateUserParams{Identity: "bob", RoleSID: "RL00000000000000000000000000000000"}, code: CodeRoleNotFound, status: 400, mention: "RoleSid"},
		{name: "conversation role", p: CreateUserParams{Identity: "bob", RoleSID: svc.DefaultConversationRoleSID}, code: 20001, status: 400, mention: "service role"},
		{name: "unknown service", service: "IS00000000000000000000000000000000", p: CreateUserParams{Identity: "bob"}, code: 20404, status: 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.env.Timeline.Last()
			_, err := e.CreateUser(tc.service, tc.p)
			wantErr(t, err, tc.code, tc.status, tc.mention)
			if e.env.Timeline.Last() != before {
				t.Error("a failed create recorded a timeline entry")
			}
		})
	}
	// The same identity is free in another service.
	if u := newUser(t, e, other.SID, CreateUserParams{Identity: "alice"}); u.ChatServiceSID != other.SID || u.RoleSID != other.DefaultChatServiceRoleSID {
		t.Errorf("user in other service: %+v", u)
	}
	if list, _ := e.Users(""); len(list) != 1 {
		t.Errorf("default service users = %d, want 1", len(list))
	}
}

func TestUserLifecycle(t *testing.T) {
	e, _ := newTestEngine(t)
	svc, _ := e.Service(e.DefaultServiceSID())
	u := newUser(t, e, "", CreateUserParams{Identity: "alice", FriendlyName: "Alice", Attributes: `{"team":"a"}`})
	if u.RoleSID != svc.DefaultChatServiceRoleSID || u.Attributes != `{"team":"a"}` || u.ChatServiceSID != svc.SID {
		t.Fatalf("created %+v", u)
	}
	for _, ref := range []string{u.SID, "alice"} {
		if got, err := e.User("", ref); err != nil || got.SID != u.SID {
			t.Errorf("User(%q) = %v, %v", ref, got, err)
		}
		if got, err := e.User(svc.SID, ref); err != nil || got.SID != u.SID {
			t.Errorf("User(service, %q) = %v, %v", ref, got, err)
		}
	}
	other, _ := e.CreateService(CreateServiceParams{FriendlyName: "Other"})
	if _, err := e.User(other.SID, u.SID); err == nil || !strings.Contains(err.Error(), "/Services/"+other.SID+"/Users/"+u.SID) {
		t.Errorf("user visible from another service: %v", err)
	}
	admin := findRole(t, e, "", "service admin")
	up, err := e.UpdateUser("", "alice", UpdateUserParams{FriendlyName: ptr("Alice A."), RoleSID: &admin.SID})
	if err != nil || up.FriendlyName != "Alice A." || up.RoleSID != admin.SID || up.Attributes != `{"team":"a"}` {
		t.Fatalf("update: %+v %v", up, err)
	}
	_, err = e.UpdateUser("", "alice", UpdateUserParams{Attributes: ptr("[1,")})
	wantErr(t, err, 20001, 400, "Attributes")
	if err := e.DeleteUser("", u.SID); err != nil {
		t.Fatal(err)
	}
	_, err = e.User("", "alice")
	wantErr(t, err, 20404, 404, "/Users/alice")
}

func TestUserConversations(t *testing.T) {
	e, _ := newTestEngine(t)
	u := newUser(t, e, "", CreateUserParams{Identity: "agent"})
	a := newConv(t, e, CreateConversationParams{UniqueName: "case-a", FriendlyName: "A"})
	b := newConv(t, e, CreateConversationParams{})
	newConv(t, e, CreateConversationParams{}) // agent not a participant
	pa, _ := e.AddParticipant(a.SID, CreateParticipantParams{Identity: "agent"})
	e.AddParticipant(b.SID, CreateParticipantParams{Identity: "agent"})
	for _, body := range []string{"one", "two", "three"} {
		if _, err := e.AddMessage(a.SID, CreateMessageParams{Author: "agent", Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	list, err := e.UserConversations("", "agent")
	if err != nil || len(list) != 2 || list[0].Conversation.SID != a.SID || list[1].Conversation.SID != b.SID {
		t.Fatalf("UserConversations = %+v, %v", list, err)
	}
	if list[0].UnreadMessagesCount != nil || list[0].NotificationLevel != "default" || list[0].Participant.SID != pa.SID {
		t.Errorf("before any read horizon: %+v", list[0])
	}
	// By unique name and identity; the read horizon sets the unread count.
	uc, err := e.UpdateUserConversation("", "agent", "case-a", UpdateUserConversationParams{
		NotificationLevel: ptr("muted"), LastReadMessageIndex: ptr(0)})
	if err != nil || *uc.UnreadMessagesCount != 2 || *uc.LastReadMessageIndex != 0 || uc.NotificationLevel != "muted" {
		t.Fatalf("update: %+v %v", uc, err)
	}
	// The horizon is the participant's.
	if rs := e.readStateOf(pa.SID); rs.LastReadMessageIndex == nil || *rs.LastReadMessageIndex != 0 {
		t.Errorf("participant read state %+v", rs)
	}
	uc, _ = e.UpdateUserConversation("", u.SID, a.SID, UpdateUserConversationParams{ClearLastReadMessageIndex: true})
	if uc.LastReadMessageIndex != nil || uc.UnreadMessagesCount != nil || uc.NotificationLevel != "muted" {
		t.Errorf("cleared horizon: %+v", uc)
	}
	_, err = e.UpdateUserConversation("", "agent", a.SID, UpdateUserConversationParams{NotificationLevel: ptr("loud")})
	wantErr(t, err, 20001, 400, "NotificationLevel")
	_, err = e.UserConversation("", "agent", "CH00000000000000000000000000000000")
	wantErr(t, err, 20404, 404, "/Users/agent/Conversations/CH00000000000000000000000000000000")

	if err := e.LeaveUserConversation("", "agent", b.SID, Origin{}); err != nil {
		t.Fatal(err)
	}
	if parts, _ := e.Participants(b.SID); len(parts) != 0 {
		t.Errorf("participant left behind: %+v", parts)
	}
	if list, _ := e.UserConversations("", "agent"); len(list) != 1 {
		t.Errorf("after leaving: %d conversations", len(list))
	}
}

func findRole(t *testing.T, e *Engine, service, name string) *Role {
	t.Helper()
	roles, err := e.Roles(service)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.FriendlyName == name {
			return r
		}
	}
	t.Fatalf("no role %q in %+v", name, roles)
	return nil
}

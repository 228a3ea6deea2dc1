package conversations

import (
	"net/http"
	"reflect"
	"testing"
)

func TestDefaultRoles(t *testing.T) {
	e, _ := newTestEngine(t)
	svc, _ := e.Service(e.DefaultServiceSID())
	roles, err := e.Roles("")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range roles {
		got[r.FriendlyName] = r.Type
		if r.ChatServiceSID != svc.SID || !r.DateCreated.Equal(svc.DateCreated) || len(r.Permissions) == 0 {
			t.Errorf("role %+v", r)
		}
	}
	want := map[string]string{"channel admin": "conversation", "channel user": "conversation",
		"service admin": "service", "service user": "service"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("default roles %v, want %v", got, want)
	}
	// The service configuration points at them, and participants get the channel user role.
	cfg, _ := e.ServiceConfiguration("")
	if findRole(t, e, "", "channel user").SID != cfg.DefaultConversationRoleSID ||
		findRole(t, e, "", "channel admin").SID != cfg.DefaultConversationCreatorRoleSID ||
		findRole(t, e, "", "service user").SID != cfg.DefaultChatServiceRoleSID {
		t.Errorf("configuration %+v does not name the default roles", cfg)
	}
	c := newConv(t, e, CreateConversationParams{})
	p, _ := e.AddParticipant(c.SID, CreateParticipantParams{Identity: "alice"})
	if p.RoleSID != cfg.DefaultConversationRoleSID {
		t.Errorf("participant role %s, want %s", p.RoleSID, cfg.DefaultConversationRoleSID)
	}
	// Another service has its own set.
	other, _ := e.CreateService(CreateServiceParams{FriendlyName: "Other"})
	if rs, _ := e.Roles(other.SID); len(rs) != 4 || rs[0].ChatServiceSID != other.SID {
		t.Errorf("other service roles %+v", rs)
	}
	if _, err := e.Role(other.SID, cfg.DefaultConversationRoleSID); err == nil {
		t.Error("a role is visible from another service")
	}
}

func TestCreateRoleValidation(t *testing.T) {
	cases := []struct {
		name         string
		p            CreateRoleParams
		code, status int
		mention      string
	}{
		{name: "missing name", p: CreateRoleParams{Type: "service", Permissions: []string{"joinConversation"}}, code: 20001, status: 400, mention: "FriendlyName"},
		{name: "name too long", p: CreateRoleParams{FriendlyName: string(make([]byte, 65)), Type: "service", Permissions: []string{"joinConversation"}}, code: CodeFriendlyNameTooLong, status: 400, mention: "FriendlyName"},
		{name: "missing type", p: CreateRoleParams{FriendlyName: "r", Permissions: []string{"sendMessage"}}, code: 20001, status: 400, mention: "Type"},
		{name: "bad type", p: CreateRoleParams{FriendlyName: "r", Type: "channel", Permissions: []string{"sendMessage"}}, code: CodeInvalidRoleType, status: 400, mention: "Type"},
		{name: "no permission", p: CreateRoleParams{FriendlyName: "r", Type: "conversation"}, code: 20001, status: 400, mention: "Permission"},
		{name: "unknown permission", p: CreateRoleParams{FriendlyName: "r", Type: "conversation", Permissions: []string{"fly"}}, code: CodePermissionNotFound, status: 400, mention: "fly"},
		{name: "service permission on a conversation role", p: CreateRoleParams{FriendlyName: "r", Type: "conversation", Permissions: []string{"createConversation"}}, code: CodePermissionNotFound, status: 400, mention: "createConversation"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newTestEngine(t)
			_, err := e.CreateRole("", tc.p)
			wantErr(t, err, tc.code, tc.status, tc.mention)
			if rs, _ := e.Roles(""); len(rs) != 4 {
				t.Errorf("failed create stored a role: %d roles", len(rs))
			}
		})
	}
}

func TestRoleLifecycle(t *testing.T) {
	e, _ := newTestEngine(t)
	agent, err := e.CreateRole("", CreateRoleParams{FriendlyName: "agent", Type: "conversation",
		Permissions: []string{"sendMessage", "sendMediaMessage", "sendMessage"}})
	if err != nil || !reflect.DeepEqual(agent.Permissions, []string{"sendMessage", "sendMediaMessage"}) {
		t.Fatalf("create: %+v %v", agent, err)
	}
	sup, err := e.CreateRole("", CreateRoleParams{FriendlyName: "supervisor", Type: "service",
		Permissions: []string{"joinConversation", "deleteAnyMessage"}})
	if err != nil {
		t.Fatal(err)
	}
	up, err := e.UpdateRole("", agent.SID, []string{"leaveConversation"})
	if err != nil || !reflect.DeepEqual(up.Permissions, []string{"leaveConversation"}) {
		t.Fatalf("update: %+v %v", up, err)
	}
	_, err = e.UpdateRole("", agent.SID, nil)
	wantErr(t, err, 20001, 400, "Permission")
	_, err = e.UpdateRole("", agent.SID, []string{"editAnyUserInfo"})
	wantErr(t, err, CodePermissionNotFound, 400, "editAnyUserInfo")

	// Roles in use cannot be deleted: service defaults, users' and participants' roles.
	newUser(t, e, "", CreateUserParams{Identity: "sue", RoleSID: sup.SID})
	c := newConv(t, e, CreateConversationParams{})
	e.AddParticipant(c.SID, CreateParticipantParams{Identity: "al", RoleSID: agent.SID})
	cfg, _ := e.ServiceConfiguration("")
	for sid, mention := range map[string]string{sup.SID: "user sue", agent.SID: "participant",
		cfg.DefaultConversationRoleSID: "default_conversation_role_sid"} {
		wantErr(t, e.DeleteRole("", sid), 20409, http.StatusConflict, mention)
	}
	if err := e.DeleteUser("", "sue"); err != nil {
		t.Fatal(err)
	}
	if err := e.DeleteRole("", sup.SID); err != nil {
		t.Fatalf("delete unused role: %v", err)
	}
	_, err = e.Role("", sup.SID)
	wantErr(t, err, 20404, 404, "/Roles/"+sup.SID)
}

func TestServiceConfiguration(t *testing.T) {
	e, _ := newTestEngine(t)
	agent, _ := e.CreateRole("", CreateRoleParams{FriendlyName: "agent", Type: "conversation", Permissions: []string{"sendMessage"}})
	admin := findRole(t, e, "", "service admin")
	cases := []struct {
		name    string
		p       UpdateServiceConfigurationParams
		code    int
		mention string
	}{
		{name: "service role as conversation default", p: UpdateServiceConfigurationParams{DefaultConversationRoleSID: &admin.SID}, code: 20001, mention: "DefaultConversationRoleSid"},
		{name: "conversation role as service default", p: UpdateServiceConfigurationParams{DefaultChatServiceRoleSID: &agent.SID}, code: 20001, mention: "DefaultChatServiceRoleSid"},
		{name: "unknown role", p: UpdateServiceConfigurationParams{DefaultConversationCreatorRoleSID: ptr("RL00000000000000000000000000000000")}, code: CodeRoleNotFound, mention: "DefaultConversationCreatorRoleSid"},
		{name: "not a role SID", p: UpdateServiceConfigurationParams{DefaultConversationRoleSID: ptr("x")}, code: 20001, mention: "DefaultConversationRoleSid"},
	}
	before, _ := e.ServiceConfiguration("")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.UpdateServiceConfiguration("", tc.p)
			wantErr(t, err, tc.code, 400, tc.mention)
			if after, _ := e.ServiceConfiguration(""); after != before {
				t.Errorf("failed update changed the configuration: %+v", after)
			}
		})
	}
	cfg, err := e.UpdateServiceConfiguration("", UpdateServiceConfigurationParams{DefaultConversationRoleSID: &agent.SID,
		ReachabilityEnabled: ptr(true)})
	if err != nil || cfg.DefaultConversationRoleSID != agent.SID || !cfg.ReachabilityEnabled || !e.Reachable("") {
		t.Fatalf("update: %+v %v", cfg, err)
	}
	c := newConv(t, e, CreateConversationParams{})
	if p, _ := e.AddParticipant(c.SID, CreateParticipantParams{Identity: "bo"}); p.RoleSID != agent.SID {
		t.Errorf("new participant role %s, want the new default %s", p.RoleSID, agent.SID)
	}
}

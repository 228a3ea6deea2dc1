package conversations

import (
	"fmt"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Role (RL…) is a named permission set in a service: a conversation role is
// given to participants, a service role to users.
type Role struct {
	SID            string
	ChatServiceSID string
	FriendlyName   string
	Type           string // conversation or service
	Permissions    []string
	DateCreated    time.Time
	DateUpdated    time.Time
}

// Role types.
const (
	RoleTypeConversation = "conversation"
	RoleTypeService      = "service"
)

// CreateRoleParams creates a role.
type CreateRoleParams struct {
	SID          string // fixtures pin it; empty mints one
	FriendlyName string
	Type         string
	Permissions  []string
}

// Error codes of the role and user resources (Programmable Chat's, which
// Conversations shares).
const (
	CodeFriendlyNameTooLong = 50003
	CodeRoleNotFound        = 50100 // a RoleSid parameter names no role of the service
	CodePermissionNotFound  = 50104
	CodeInvalidRoleType     = 50105
	// CodeParticipantRoleNotFound is returned (HTTP 400) when a participant's
	// RoleSid names no role of the conversation's service.
	CodeParticipantRoleNotFound = 50109
)

const maxRoleNameLen = 64

// conversationPermissions are what a conversation role may grant.
var conversationPermissions = []string{
	"addNonChatParticipant", "addParticipant", "deleteAnyMessage", "deleteOwnMessage", "editAnyMessage",
	"editAnyMessageAttributes", "editAnyParticipantAttributes", "editConversationAttributes",
	"editConversationName", "editNotificationLevel", "editOwnMessage", "editOwnMessageAttributes",
	"editOwnParticipantAttributes", "leaveConversation", "removeParticipant", "sendMediaMessage", "sendMessage",
}

// serviceOnlyPermissions are what only a service role may grant; a service
// role may also grant every conversation permission service-wide.
var serviceOnlyPermissions = []string{
	"createConversation", "deleteConversation", "editAnyUserInfo", "editOwnUserInfo", "joinConversation",
}

// Built-in roles every service starts with, under the names and with the
// permissions Conversations' defaults use.
var (
	roleChannelAdmin = CreateRoleParams{FriendlyName: "channel admin", Type: RoleTypeConversation, Permissions: []string{
		"sendMessage", "sendMediaMessage", "leaveConversation", "editOwnMessage", "editOwnMessageAttributes",
		"deleteOwnMessage", "editAnyMessage", "editAnyMessageAttributes", "deleteAnyMessage", "addParticipant",
		"addNonChatParticipant", "removeParticipant", "editConversationName", "editConversationAttributes",
		"editOwnParticipantAttributes", "editAnyParticipantAttributes", "editNotificationLevel"}}
	roleChannelUser = CreateRoleParams{FriendlyName: "channel user", Type: RoleTypeConversation, Permissions: []string{
		"sendMessage", "sendMediaMessage", "leaveConversation", "editOwnMessage", "editOwnMessageAttributes",
		"deleteOwnMessage", "editOwnParticipantAttributes", "editNotificationLevel"}}
	roleServiceAdmin = CreateRoleParams{FriendlyName: "service admin", Type: RoleTypeService, Permissions: []string{
		"createConversation", "joinConversation", "deleteConversation", "editOwnUserInfo", "editAnyUserInfo",
		"addParticipant", "removeParticipant", "editConversationName", "editConversationAttributes",
		"editAnyMessage", "editAnyMessageAttributes", "deleteAnyMessage", "editAnyParticipantAttributes"}}
	roleServiceUser = CreateRoleParams{FriendlyName: "service user", Type: RoleTypeService, Permissions: []string{
		"createConversation", "joinConversation", "editOwnUserInfo"}}
)

// service returns the stored service ("" = the default one) or Twilio's 404.
func (e *Engine) service(serviceSID string) (*Service, error) {
	sid := e.serviceSIDOrDefault(serviceSID)
	s, ok := e.services[sid]
	if !ok {
		return nil, twilio.NotFound("/Services/" + sid)
	}
	return s, nil
}

// servicePath is the resource path Twilio prints in 404s: the service copy
// when the caller named a service, else the default-service path.
func servicePath(serviceSID, rest string) string {
	if serviceSID == "" {
		return rest
	}
	return "/Services/" + serviceSID + rest
}

// ensureDefaultRoles materialises a service's built-in roles under the SIDs
// the service was created with (participants already carry the
// conversation role's SID). They date from the service's creation and are
// not separate timeline events: service.created covers them.
func (e *Engine) ensureDefaultRoles(s *Service) {
	d := e.directory()
	if d.defaultRoles[s.SID] {
		return
	}
	d.defaultRoles[s.SID] = true
	for _, def := range []struct {
		sid string
		p   CreateRoleParams
	}{
		{s.DefaultConversationCreatorRoleSID, roleChannelAdmin},
		{s.DefaultConversationRoleSID, roleChannelUser},
		{twilio.NewSID("RL"), roleServiceAdmin},
		{s.DefaultChatServiceRoleSID, roleServiceUser},
	} {
		if def.sid == "" || d.roles[def.sid] != nil {
			continue
		}
		r := &Role{SID: def.sid, ChatServiceSID: s.SID, FriendlyName: def.p.FriendlyName, Type: def.p.Type,
			Permissions: cloneStrings(def.p.Permissions), DateCreated: s.DateCreated, DateUpdated: s.DateCreated}
		d.roles[r.SID] = r
		d.roleOrder = append(d.roleOrder, r)
	}
}

// checkPermissions validates a role's permission list for its type and
// returns it without duplicates, in the order given.
func checkPermissions(typ string, perms []string) ([]string, error) {
	if len(perms) == 0 {
		return nil, twilio.MissingParam("Permission")
	}
	out := make([]string, 0, len(perms))
	for _, p := range perms {
		switch {
		case contains(conversationPermissions, p):
		case contains(serviceOnlyPermissions, p):
			if typ != RoleTypeService {
				return nil, twilio.Fail(twilio.KindInvalid, CodePermissionNotFound,
					"Invalid Permission: %q is a service permission; a %s role cannot grant it", p, typ)
			}
		default:
			return nil, twilio.Fail(twilio.KindInvalid, CodePermissionNotFound,
				"Invalid Permission: %q is not a Conversations permission", p)
		}
		if !contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// CreateRole adds a role to a service ("" = the default service).
func (e *Engine) CreateRole(serviceSID string, p CreateRoleParams) (*Role, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.FriendlyName) == "" {
		return nil, twilio.MissingParam("FriendlyName")
	}
	if len(p.FriendlyName) > maxRoleNameLen {
		return nil, twilio.Fail(twilio.KindInvalid, CodeFriendlyNameTooLong,
			"Invalid FriendlyName: must be at most %d characters", maxRoleNameLen)
	}
	if p.Type == "" {
		return nil, twilio.MissingParam("Type")
	}
	if p.Type != RoleTypeConversation && p.Type != RoleTypeService {
		return nil, twilio.Fail(twilio.KindInvalid, CodeInvalidRoleType,
			"Invalid Type: %q is not one of conversation, service", p.Type)
	}
	perms, err := checkPermissions(p.Type, p.Permissions)
	if err != nil {
		return nil, err
	}
	e.ensureDefaultRoles(s)
	d := e.directory()
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("RL")
	} else if !twilio.IsSID(sid, "RL") {
		return nil, twilio.InvalidParam("Sid", "%q is not a Role SID (RL…)", sid)
	} else if d.roles[sid] != nil {
		return nil, twilio.Conflict(twilio.CodeConflict, "Role %s already exists", sid)
	}
	now := e.now()
	r := &Role{SID: sid, ChatServiceSID: s.SID, FriendlyName: p.FriendlyName, Type: p.Type, Permissions: perms,
		DateCreated: now, DateUpdated: now}
	d.roles[sid] = r
	d.roleOrder = append(d.roleOrder, r)
	e.record("role.created", sid, fmt.Sprintf("%s role %s %q created in service %s", r.Type, sid, r.FriendlyName, s.SID),
		map[string]string{"role_sid": sid, "chat_service_sid": s.SID, "friendly_name": r.FriendlyName, "type": r.Type})
	return r.clone(), nil
}

// role finds a role of a service, or Twilio's 404 for the path the caller used.
func (e *Engine) role(serviceSID, sid string) (*Role, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return nil, err
	}
	e.ensureDefaultRoles(s)
	r := e.directory().roles[sid]
	if r == nil || r.ChatServiceSID != s.SID {
		return nil, twilio.NotFound(servicePath(serviceSID, "/Roles/"+sid))
	}
	return r, nil
}

// Role returns a role of a service ("" = the default service).
func (e *Engine) Role(serviceSID, sid string) (*Role, error) {
	r, err := e.role(serviceSID, sid)
	if err != nil {
		return nil, err
	}
	return r.clone(), nil
}

// Roles lists a service's roles, built-in ones first, then in creation order.
func (e *Engine) Roles(serviceSID string) ([]*Role, error) {
	s, err := e.service(serviceSID)
	if err != nil {
		return nil, err
	}
	e.ensureDefaultRoles(s)
	out := []*Role{}
	for _, r := range e.directory().roleOrder {
		if r.ChatServiceSID == s.SID {
			out = append(out, r.clone())
		}
	}
	return out, nil
}

// UpdateRole replaces a role's permissions (Twilio's only updatable field).
func (e *Engine) UpdateRole(serviceSID, sid string, permissions []string) (*Role, error) {
	r, err := e.role(serviceSID, sid)
	if err != nil {
		return nil, err
	}
	perms, err := checkPermissions(r.Type, permissions)
	if err != nil {
		return nil, err
	}
	r.Permissions = perms
	r.DateUpdated = e.now()
	e.record("role.updated", r.SID, fmt.Sprintf("role %s %q now grants %s", r.SID, r.FriendlyName, strings.Join(perms, ", ")),
		map[string]string{"role_sid": r.SID, "chat_service_sid": r.ChatServiceSID, "friendly_name": r.FriendlyName})
	return r.clone(), nil
}

// DeleteRole removes a role that nothing uses: not a service default, no
// user and no participant (409 otherwise, naming the user).
func (e *Engine) DeleteRole(serviceSID, sid string) error {
	r, err := e.role(serviceSID, sid)
	if err != nil {
		return err
	}
	if use := e.roleUse(r); use != "" {
		return twilio.Conflict(twilio.CodeConflict, "Role %s %q cannot be deleted: it is %s", r.SID, r.FriendlyName, use)
	}
	d := e.directory()
	delete(d.roles, r.SID)
	for i, x := range d.roleOrder {
		if x == r {
			d.roleOrder = append(d.roleOrder[:i], d.roleOrder[i+1:]...)
			break
		}
	}
	e.record("role.deleted", r.SID, fmt.Sprintf("role %s %q deleted", r.SID, r.FriendlyName),
		map[string]string{"role_sid": r.SID, "chat_service_sid": r.ChatServiceSID, "friendly_name": r.FriendlyName})
	return nil
}

// roleUse describes what still refers to r, or "" when nothing does.
func (e *Engine) roleUse(r *Role) string {
	if s, ok := e.services[r.ChatServiceSID]; ok {
		switch r.SID {
		case s.DefaultConversationCreatorRoleSID:
			return "the service's default_conversation_creator_role_sid"
		case s.DefaultConversationRoleSID:
			return "the service's default_conversation_role_sid"
		case s.DefaultChatServiceRoleSID:
			return "the service's default_chat_service_role_sid"
		}
	}
	for _, u := range e.directory().userOrder {
		if u.RoleSID == r.SID {
			return "assigned to user " + u.Identity
		}
	}
	for _, c := range e.convOrder {
		for _, p := range c.participants {
			if p.RoleSID == r.SID {
				return "assigned to participant " + p.SID + " of conversation " + c.SID
			}
		}
	}
	return ""
}

// checkRoleRef validates a RoleSid parameter: a role of that service and type.
func (e *Engine) checkRoleRef(param, serviceSID, sid, typ string) error {
	return e.checkRole(param, serviceSID, sid, typ, CodeRoleNotFound)
}

// checkParticipantRoleRef checks a participant's RoleSid: a conversation
// role of the conversation's service (50109 when the service has no such role).
func (e *Engine) checkParticipantRoleRef(serviceSID, sid string) error {
	return e.checkRole("RoleSid", serviceSID, sid, RoleTypeConversation, CodeParticipantRoleNotFound)
}

// checkRole validates a role reference: well-formed (20001), a role of the
// service (notFound code), of the given type (20001).
func (e *Engine) checkRole(param, serviceSID, sid, typ string, notFound int) error {
	if !twilio.IsSID(sid, "RL") {
		return twilio.InvalidParam(param, "%q is not a Role SID (RL…)", sid)
	}
	s, err := e.service(serviceSID)
	if err != nil {
		return err
	}
	e.ensureDefaultRoles(s)
	r := e.directory().roles[sid]
	if r == nil || r.ChatServiceSID != s.SID {
		return twilio.Fail(twilio.KindInvalid, notFound, "Invalid %s: role %s not found in service %s", param, sid, s.SID)
	}
	if r.Type != typ {
		return twilio.InvalidParam(param, "role %s %q is a %s role; a %s role is required", sid, r.FriendlyName, r.Type, typ)
	}
	return nil
}

func (r *Role) clone() *Role {
	c := *r
	c.Permissions = cloneStrings(r.Permissions)
	return &c
}

package conversations

import (
	"fmt"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Credential (CR…) is an account-level push credential (APN, GCM or FCM)
// that services use for push notifications. Only whether a secret was given
// is kept: the emulator never pushes, and Twilio never returns secrets.
type Credential struct {
	SID          string
	FriendlyName string
	Type         string // apn, gcm or fcm
	Sandbox      bool   // APN only
	DateCreated  time.Time
	DateUpdated  time.Time

	hasCertificate, hasPrivateKey, hasAPIKey, hasSecret bool
}

// CreateCredentialParams creates a push credential. APN needs Certificate
// and PrivateKey, GCM ApiKey, FCM Secret.
type CreateCredentialParams struct {
	SID          string // fixtures pin it; empty mints one
	Type         string
	FriendlyName string
	Certificate  string
	PrivateKey   string
	Sandbox      *bool
	APIKey       string
	Secret       string
}

// UpdateCredentialParams changes a credential; nil fields stay as they are.
type UpdateCredentialParams struct {
	Type         *string
	FriendlyName *string
	Certificate  *string
	PrivateKey   *string
	Sandbox      *bool
	APIKey       *string
	Secret       *string
}

const maxCredentialNameLen = 64

func checkCredentialType(t string) error {
	switch t {
	case "apn", "gcm", "fcm":
		return nil
	}
	return twilio.InvalidParam("Type", "%q is not one of apn, gcm, fcm", t)
}

// checkSecrets reports the secret parameter a credential of its type lacks.
func (c *Credential) checkSecrets() error {
	switch {
	case c.Type == "apn" && !c.hasCertificate:
		return twilio.InvalidParam("Certificate", "is required for an apn credential")
	case c.Type == "apn" && !c.hasPrivateKey:
		return twilio.InvalidParam("PrivateKey", "is required for an apn credential")
	case c.Type == "gcm" && !c.hasAPIKey:
		return twilio.InvalidParam("ApiKey", "is required for a gcm credential")
	case c.Type == "fcm" && !c.hasSecret:
		return twilio.InvalidParam("Secret", "is required for an fcm credential")
	}
	return nil
}

func checkCredentialName(name string) error {
	if len(name) > maxCredentialNameLen {
		return twilio.Fail(twilio.KindInvalid, CodeFriendlyNameTooLong,
			"Invalid FriendlyName: must be at most %d characters", maxCredentialNameLen)
	}
	return nil
}

// CreateCredential adds a push credential to the account.
func (e *Engine) CreateCredential(p CreateCredentialParams) (*Credential, error) {
	if p.Type == "" {
		return nil, twilio.MissingParam("Type")
	}
	if err := checkCredentialType(p.Type); err != nil {
		return nil, err
	}
	if err := checkCredentialName(p.FriendlyName); err != nil {
		return nil, err
	}
	c := &Credential{FriendlyName: p.FriendlyName, Type: p.Type, hasCertificate: p.Certificate != "",
		hasPrivateKey: p.PrivateKey != "", hasAPIKey: p.APIKey != "", hasSecret: p.Secret != ""}
	if p.Sandbox != nil {
		c.Sandbox = *p.Sandbox
	}
	if err := c.checkSecrets(); err != nil {
		return nil, err
	}
	d := e.directory()
	sid := p.SID
	if sid == "" {
		sid = twilio.NewSID("CR")
	} else if !twilio.IsSID(sid, "CR") {
		return nil, twilio.InvalidParam("Sid", "%q is not a Credential SID (CR…)", sid)
	} else if d.credentials[sid] != nil {
		return nil, twilio.Conflict(twilio.CodeConflict, "Credential %s already exists", sid)
	}
	c.SID = sid
	now := e.now()
	c.DateCreated, c.DateUpdated = now, now
	d.credentials[sid] = c
	d.credentialOrder = append(d.credentialOrder, c)
	e.record("credential.created", sid, fmt.Sprintf("%s push credential %s %q created", c.Type, sid, c.FriendlyName),
		map[string]string{"credential_sid": sid, "type": c.Type, "friendly_name": c.FriendlyName})
	out := *c
	return &out, nil
}

func (e *Engine) credential(sid string) (*Credential, error) {
	c := e.directory().credentials[sid]
	if c == nil {
		return nil, twilio.NotFound("/Credentials/" + sid)
	}
	return c, nil
}

// Credential returns a push credential.
func (e *Engine) Credential(sid string) (*Credential, error) {
	c, err := e.credential(sid)
	if err != nil {
		return nil, err
	}
	out := *c
	return &out, nil
}

// Credentials lists the account's push credentials in creation order.
func (e *Engine) Credentials() []*Credential {
	d := e.directory()
	out := make([]*Credential, 0, len(d.credentialOrder))
	for _, c := range d.credentialOrder {
		x := *c
		out = append(out, &x)
	}
	return out
}

// UpdateCredential changes a credential. Changing its type needs that
// type's secrets, given now or earlier.
func (e *Engine) UpdateCredential(sid string, p UpdateCredentialParams) (*Credential, error) {
	c, err := e.credential(sid)
	if err != nil {
		return nil, err
	}
	next := *c
	if p.Type != nil {
		if err := checkCredentialType(*p.Type); err != nil {
			return nil, err
		}
		next.Type = *p.Type
	}
	if p.FriendlyName != nil {
		if err := checkCredentialName(*p.FriendlyName); err != nil {
			return nil, err
		}
		next.FriendlyName = *p.FriendlyName
	}
	if p.Sandbox != nil {
		next.Sandbox = *p.Sandbox
	}
	for _, s := range []struct {
		v   *string
		has *bool
	}{{p.Certificate, &next.hasCertificate}, {p.PrivateKey, &next.hasPrivateKey}, {p.APIKey, &next.hasAPIKey}, {p.Secret, &next.hasSecret}} {
		if s.v != nil {
			*s.has = *s.v != ""
		}
	}
	if err := next.checkSecrets(); err != nil {
		return nil, err
	}
	next.DateUpdated = e.now()
	*c = next
	e.record("credential.updated", sid, fmt.Sprintf("%s push credential %s %q updated", c.Type, sid, c.FriendlyName),
		map[string]string{"credential_sid": sid, "type": c.Type, "friendly_name": c.FriendlyName})
	out := *c
	return &out, nil
}

// DeleteCredential removes a push credential.
func (e *Engine) DeleteCredential(sid string) error {
	c, err := e.credential(sid)
	if err != nil {
		return err
	}
	d := e.directory()
	delete(d.credentials, sid)
	for i, x := range d.credentialOrder {
		if x == c {
			d.credentialOrder = append(d.credentialOrder[:i], d.credentialOrder[i+1:]...)
			break
		}
	}
	e.record("credential.deleted", sid, fmt.Sprintf("%s push credential %s deleted", c.Type, sid),
		map[string]string{"credential_sid": sid, "type": c.Type})
	return nil
}

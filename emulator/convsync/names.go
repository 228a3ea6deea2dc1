package convsync

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// objKind is which Sync object of the projection an object is.
type objKind int

const (
	kindMyConversations objKind = iota + 1 // map of the user's conversations, keyed by CH SID
	kindUser                               // map of a user's friendlyName, attributes, reachability
	kindDocument                           // a conversation's document
	kindMessages                           // a conversation's messages list, by index
	kindRoster                             // a conversation's participants map, by MB SID
)

// Unique-name suffixes of the objects ("CH….channel", "alice.user").
var suffixes = map[objKind]string{
	kindMyConversations: ".my_conversations",
	kindUser:            ".user",
	kindDocument:        ".channel",
	kindMessages:        ".messages",
	kindRoster:          ".roster",
}

// object names one Sync object: a conversation's (conv) or a user's
// (service and identity).
type object struct {
	kind     objKind
	conv     string // CH SID
	service  string // IS SID (user objects)
	identity string // user objects
}

// typ is the Sync object type: "map", "list" or "document".
func (o object) typ() string {
	switch o.kind {
	case kindDocument:
		return "document"
	case kindMessages:
		return "list"
	}
	return "map"
}

// collection is the CDS path segment of the type.
func (o object) collection() string {
	switch o.kind {
	case kindDocument:
		return "Documents"
	case kindMessages:
		return "Lists"
	}
	return "Maps"
}

// uniqueName is the object's unique name, what the SDK is given to open it.
func (o object) uniqueName() string {
	if o.conv != "" {
		return o.conv + suffixes[o.kind]
	}
	return o.identity + suffixes[o.kind]
}

// sid is the object's SID: a conversation's objects share its SID's hex
// (ET/ES/MP + the CH's 32 digits); a user's are a hash of service, kind and identity.
func (o object) sid() string {
	prefix := map[string]string{"document": "ET", "list": "ES", "map": "MP"}[o.typ()]
	if o.conv != "" {
		return prefix + o.conv[2:]
	}
	h := sha256.Sum256([]byte(o.service + "\x00" + suffixes[o.kind] + "\x00" + o.identity))
	return prefix + hex.EncodeToString(h[:16])
}

// convObject returns a conversation's object of kind.
func convObject(kind objKind, conv string) object { return object{kind: kind, conv: conv} }

// userObject returns a user's object of kind.
func userObject(kind objKind, service, identity string) object {
	return object{kind: kind, service: service, identity: identity}
}

// parseRef resolves an object reference from a CDS path (a unique name or a
// SID) of the collection ("Maps", "Lists", "Documents") for a session in
// service. User objects known by SID are looked up in names (nil: none).
// ok is false for a reference that names no object of this collection.
func parseRef(collection, ref, service string, names map[string]object) (object, bool) {
	if len(ref) == 34 && isHex(ref[2:]) {
		var kind objKind
		switch {
		case collection == "Documents" && strings.HasPrefix(ref, "ET"):
			kind = kindDocument
		case collection == "Lists" && strings.HasPrefix(ref, "ES"):
			kind = kindMessages
		case collection == "Maps" && strings.HasPrefix(ref, "MP"):
			if o, ok := names[ref]; ok {
				return o, true
			}
			kind = kindRoster
		default:
			return object{}, false
		}
		return convObject(kind, "CH"+ref[2:]), true
	}
	for kind, suffix := range suffixes {
		name, ok := strings.CutSuffix(ref, suffix)
		if !ok || name == "" {
			continue
		}
		o := object{kind: kind}
		if kind == kindMyConversations || kind == kindUser {
			o.service, o.identity = service, name
		} else {
			if !twilio.IsSID(name, "CH") {
				continue
			}
			o.conv = name
		}
		if o.collection() == collection {
			return o, true
		}
	}
	return object{}, false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

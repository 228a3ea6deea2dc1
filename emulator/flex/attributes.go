package flex

import (
	"math"
	"unicode/utf8"
)

// Task attribute keys Flex writes itself (section 3.1 of the reference).
const (
	attrConversationSID = "conversationSid"
	attrInteractionSID  = "flexInteractionSid"
	attrChannelSID      = "flexInteractionChannelSid"
	attrInviteSID       = "flexChannelInviteSid"
)

// flexAttributes builds the descriptive attributes Flex adds to a
// conversation task: channel type, direction and the customer address under
// every name Flex UI and Insights read. SID keys are added separately, after
// the caller's attributes are merged, so they always win. The map has room
// for extra more keys.
func flexAttributes(conv ConversationInfo, ch ChannelParams, extra int) map[string]any {
	a := make(map[string]any, 9+extra)
	var initiatedBy any = ch.InitiatedBy // boxed once, stored twice
	a["channelType"], a["initiatedBy"], a["direction"] = ch.Type, initiatedBy, "outbound"
	if ch.InitiatedBy == "customer" {
		a["direction"] = "inbound"
	}
	if conv.CustomerAddress != "" {
		var addr any = conv.CustomerAddress // boxed once, stored up to six times
		a["customerAddress"] = addr
		a["customerName"] = addr
		a["name"] = addr
		a["from"] = addr
		customers := map[string]any{"name": addr}
		switch ch.Type {
		case "sms", "whatsapp", "voice":
			customers["phone"] = addr
		case "email":
			customers["email"] = addr
		}
		a["customers"] = customers
	}
	a["conversations"] = map[string]any{"initiated_by": initiatedBy}
	return a
}

// decodesTo reports whether v, marshalled by encoding/json and decoded
// again into an any, comes back deeply equal: it holds only the types
// decoding produces (maps, lists, strings, float64, bool, nil) and its keys
// and strings are valid UTF-8 (encoding/json replaces invalid bytes).
func decodesTo(v any) bool {
	switch x := v.(type) {
	case nil, bool:
		return true
	case float64:
		return !math.IsInf(x, 0) && !math.IsNaN(x)
	case string:
		return utf8.ValidString(x)
	case map[string]any:
		if x == nil {
			return false // marshals as null
		}
		for k, e := range x {
			if !utf8.ValidString(k) || !decodesTo(e) {
				return false
			}
		}
		return true
	case []any:
		if x == nil {
			return false
		}
		for _, e := range x {
			if !decodesTo(e) {
				return false
			}
		}
		return true
	}
	return false
}

// mergeAttributes overlays the caller's attributes on Flex's: the caller's
// keys win, except that the "customers" and "conversations" objects are
// merged key by key. It writes into flex, which the caller owns, and
// returns it; user is not changed.
func mergeAttributes(flex, user map[string]any) map[string]any {
	out := flex
	for k, v := range user {
		if base, ok := out[k].(map[string]any); ok {
			if over, ok := v.(map[string]any); ok && (k == "customers" || k == "conversations") {
				merged := make(map[string]any, len(base)+len(over))
				for bk, bv := range base {
					merged[bk] = bv
				}
				for key, ov := range over {
					merged[key] = ov
				}
				out[k] = merged
				continue
			}
		}
		out[k] = v
	}
	return out
}

// setSIDAttributes writes the SID keys Flex owns, overriding any the caller
// sent: Flex UI and Insights find the conversation and interaction by them.
func setSIDAttributes(a map[string]any, conversationSID, interactionSID, channelSID, inviteSID string) {
	var convSID, inSID any = conversationSID, interactionSID // boxed once, stored twice
	a[attrConversationSID] = convSID
	a[attrInteractionSID] = inSID
	a[attrChannelSID] = channelSID
	a[attrInviteSID] = inviteSID
	conv, _ := a["conversations"].(map[string]any)
	if conv == nil {
		conv = map[string]any{}
	}
	conv["conversation_id"] = inSID
	conv["media"] = []any{map[string]any{"type": "ChatTranscript", "sid": convSID}}
	a["conversations"] = conv
}

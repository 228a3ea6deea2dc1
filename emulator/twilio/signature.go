package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/url"
	"sort"
)

// Signature computes X-Twilio-Signature for a webhook request exactly as
// Twilio does and as twilio-go's RequestValidator checks it: HMAC-SHA1 keyed
// by the auth token over the full URL followed by every POST parameter as
// name+value, ordered by name (byte order; a repeated name contributes each
// value in the order sent). For GET webhooks pass nil params: the query is
// already part of the URL.
func Signature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(fullURL))
	for _, k := range keys {
		for _, v := range params[k] {
			mac.Write([]byte(k))
			mac.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

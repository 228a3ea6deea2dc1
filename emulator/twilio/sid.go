package twilio

import (
	"crypto/rand"
	"encoding/hex"
	"regexp"
)

// SIDLen is the length of a SID: two letters and 32 hex digits.
const SIDLen = 34

// NewSID mints a Twilio SID: a two-letter prefix and 32 lowercase hex digits.
func NewSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return prefix + hex.EncodeToString(b[:])
}

var sidPattern = regexp.MustCompile(`^[A-Z]{2}[0-9a-fA-F]{32}$`)

// IsSID reports whether s is a SID with the given prefix (any prefix if empty).
func IsSID(s, prefix string) bool {
	if !sidPattern.MatchString(s) {
		return false
	}
	return prefix == "" || s[:2] == prefix
}

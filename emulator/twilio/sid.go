package twilio

import (
	"crypto/rand"
	"encoding/hex"
)

// SIDLen is the length of a SID: two letters and 32 hex digits.
const SIDLen = 34

// NewSID mints a Twilio SID: a two-letter prefix and 32 lowercase hex digits.
func NewSID(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	if len(prefix) != 2 {
		return prefix + hex.EncodeToString(b[:])
	}
	var out [SIDLen]byte
	out[0], out[1] = prefix[0], prefix[1]
	hex.Encode(out[2:], b[:])
	return string(out[:])
}

// IsSID reports whether s is a SID with the given prefix (any prefix if
// empty): two upper-case ASCII letters and 32 hex digits.
func IsSID(s, prefix string) bool {
	if len(s) != SIDLen {
		return false
	}
	for i := 0; i < 2; i++ {
		if c := s[i]; c < 'A' || c > 'Z' {
			return false
		}
	}
	for i := 2; i < SIDLen; i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return prefix == "" || s[:2] == prefix
}

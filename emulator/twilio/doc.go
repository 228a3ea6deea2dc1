// Package twilio is the emulator's one wire layer: everything that makes a
// response look and behave like Twilio's lives here (SIDs, form decoding,
// error JSON, paging envelopes, dates, request signing, route adapters).
// Product engines return typed *Error values; only this package turns them
// into HTTP.
package twilio

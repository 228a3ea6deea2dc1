// Package mcs serves the Conversations media service (MCS) that
// @twilio/conversations (through @twilio/mcs-client) uploads message media
// to and reads it from: raw uploads, media records, the MediaSet batch
// read, and a temporary content URL a browser can load without headers.
// Media is kept in memory, bounded per object and per account.
package mcs

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// Default bounds of a Store.
const (
	// DefaultMaxObject is the largest media accepted: 16 MiB.
	DefaultMaxObject = 16 << 20
	// DefaultMaxPerAccount bounds the bytes an account's media may hold in
	// memory: 64 MiB. Uploads beyond it are refused until Forget (a Reset).
	DefaultMaxPerAccount = 64 << 20
)

// Errors of Put.
var (
	ErrTooLarge = errors.New("media larger than the per-object bound")
	ErrFull     = errors.New("the account's media storage is full")
)

// Media is a media record's metadata.
type Media struct {
	SID         string // ME…
	AccountSID  string
	ServiceSID  string // IS…: the Conversations service it was uploaded to
	ContentType string
	Filename    string // may be empty
	Category    string // "media" (message attachments), "body", "history"
	Author      string // the uploader's identity
	Size        int
	DateCreated time.Time
	// ConversationSID and MessageSID name the message the media is attached
	// to; empty until a projection sets them (SetMessage).
	ConversationSID string
	MessageSID      string
}

type entry struct {
	meta    Media
	content []byte
}

type account struct {
	bytes int64
	media map[string]*entry
}

// Store holds uploaded media in memory.
type Store struct {
	maxObject, maxPerAccount int64
	key                      []byte // signs temporary content URLs

	mu       sync.Mutex
	accounts map[string]*account
}

// NewStore returns an empty Store with the given bounds (0: the defaults).
func NewStore(maxObject, maxPerAccount int64) *Store {
	if maxObject <= 0 {
		maxObject = DefaultMaxObject
	}
	if maxPerAccount <= 0 {
		maxPerAccount = DefaultMaxPerAccount
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &Store{maxObject: maxObject, maxPerAccount: maxPerAccount, key: key, accounts: map[string]*account{}}
}

// MaxObject is the largest content Put accepts.
func (s *Store) MaxObject() int64 { return s.maxObject }

// Put stores content under a new ME SID with m's metadata (Size and SID are
// set by Put) and returns the record.
func (s *Store) Put(m Media, content []byte) (Media, error) {
	if int64(len(content)) > s.maxObject {
		return Media{}, ErrTooLarge
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[m.AccountSID]
	if a == nil {
		a = &account{media: map[string]*entry{}}
		s.accounts[m.AccountSID] = a
	}
	if a.bytes+int64(len(content)) > s.maxPerAccount {
		return Media{}, ErrFull
	}
	m.SID = twilio.NewSID("ME")
	m.Size = len(content)
	a.media[m.SID] = &entry{meta: m, content: content}
	a.bytes += int64(len(content))
	return m, nil
}

// Get returns the metadata of an account's media.
func (s *Store) Get(accountSID, sid string) (Media, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[accountSID]; a != nil {
		if e := a.media[sid]; e != nil {
			return e.meta, true
		}
	}
	return Media{}, false
}

// Content returns an account's media with its bytes (not to be modified).
func (s *Store) Content(accountSID, sid string) (Media, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[accountSID]; a != nil {
		if e := a.media[sid]; e != nil {
			return e.meta, e.content, true
		}
	}
	return Media{}, nil, false
}

// SetMessage records the message a media is attached to (what a projection
// of Conversations messages calls when a message names media_sids).
func (s *Store) SetMessage(accountSID, sid, conversationSID, messageSID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[accountSID]; a != nil {
		if e := a.media[sid]; e != nil {
			e.meta.ConversationSID, e.meta.MessageSID = conversationSID, messageSID
			return true
		}
	}
	return false
}

// Forget drops all of an account's media (on Reset).
func (s *Store) Forget(accountSID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.accounts, accountSID)
}

// Stored is a media record with its content, as Export lists it and Import
// takes it back (state snapshots).
type Stored struct {
	Media
	Content []byte
}

// Export lists an account's media with their content, oldest first.
func (s *Store) Export(accountSID string) []Stored {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accounts[accountSID]
	if a == nil {
		return nil
	}
	out := make([]Stored, 0, len(a.media))
	for _, e := range a.media {
		out = append(out, Stored{Media: e.meta, Content: e.content})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DateCreated.Equal(out[j].DateCreated) {
			return out[i].DateCreated.Before(out[j].DateCreated)
		}
		return out[i].SID < out[j].SID
	})
	return out
}

// Import adds media Export listed, keeping their SIDs, under the same
// bounds as Put. On error nothing is added.
func (s *Store) Import(items []Stored) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	added := map[string]int64{}
	seen := map[string]bool{}
	for _, it := range items {
		switch {
		case !twilio.IsSID(it.SID, "ME"):
			return fmt.Errorf("media %q: not a media SID", it.SID)
		case it.Size != len(it.Content):
			return fmt.Errorf("media %s: the record says %d bytes, the content has %d", it.SID, it.Size, len(it.Content))
		case int64(len(it.Content)) > s.maxObject:
			return fmt.Errorf("media %s: %w", it.SID, ErrTooLarge)
		case seen[it.SID]:
			return fmt.Errorf("media %s: listed twice", it.SID)
		}
		seen[it.SID] = true
		have := int64(0)
		if a := s.accounts[it.AccountSID]; a != nil {
			have = a.bytes
			if _, dup := a.media[it.SID]; dup {
				return fmt.Errorf("media %s: already stored", it.SID)
			}
		}
		added[it.AccountSID] += int64(len(it.Content))
		if have+added[it.AccountSID] > s.maxPerAccount {
			return fmt.Errorf("account %s: %w", it.AccountSID, ErrFull)
		}
	}
	for _, it := range items {
		a := s.accounts[it.AccountSID]
		if a == nil {
			a = &account{media: map[string]*entry{}}
			s.accounts[it.AccountSID] = a
		}
		a.media[it.SID] = &entry{meta: it.Media, content: it.Content}
		a.bytes += int64(len(it.Content))
	}
	return nil
}

// Bytes is the content an account holds.
func (s *Store) Bytes(accountSID string) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[accountSID]; a != nil {
		return a.bytes
	}
	return 0
}

// sign is the signature of a temporary content URL: the media and its
// expiry (Unix seconds on the token clock).
func (s *Store) sign(accountSID, sid string, expires int64) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(accountSID + "/" + sid + "/" + strconv.FormatInt(expires, 10)))
	return hex.EncodeToString(mac.Sum(nil))
}

// validSignature checks a temporary URL's Expires and Signature at now.
func (s *Store) validSignature(accountSID, sid, expires, sig string, now time.Time) bool {
	exp, err := strconv.ParseInt(expires, 10, 64)
	if err != nil || now.Unix() > exp {
		return false
	}
	return hmac.Equal([]byte(sig), []byte(s.sign(accountSID, sid, exp)))
}

// find returns a media by SID alone, whatever its account (SIDs are
// unique): for temporary content URLs, which carry no credentials.
func (s *Store) find(sid string) (Media, []byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if e := a.media[sid]; e != nil {
			return e.meta, e.content, true
		}
	}
	return Media{}, nil, false
}

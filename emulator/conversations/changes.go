package conversations

// The change feed: every state change of a conversation, participant,
// message, read horizon or user, whatever caused it (REST, a messaging
// channel, an SDK client, Studio, Flex orchestration, a timer), reported to
// in-process listeners independently of webhooks. The Conversations SDK
// projection (emulator/convsync) renders Sync events from it.

// ChangeKind says what a Change reports.
type ChangeKind string

// Change kinds.
const (
	ChangeConversationAdded   ChangeKind = "conversation_added"
	ChangeConversationUpdated ChangeKind = "conversation_updated" // fields or state
	ChangeConversationRemoved ChangeKind = "conversation_removed"
	ChangeParticipantAdded    ChangeKind = "participant_added"
	ChangeParticipantUpdated  ChangeKind = "participant_updated" // incl. its read horizon set through the Participant
	ChangeParticipantRemoved  ChangeKind = "participant_removed"
	ChangeMessageAdded        ChangeKind = "message_added"
	ChangeMessageUpdated      ChangeKind = "message_updated"
	ChangeMessageRemoved      ChangeKind = "message_removed"
	// ReadHorizonChanged is a user's read horizon or notification level set
	// through the User Conversation (the SDK's advance of its read horizon).
	ChangeReadHorizonChanged ChangeKind = "read_horizon_changed"
	ChangeUserAdded          ChangeKind = "user_added"
	ChangeUserUpdated        ChangeKind = "user_updated"
)

// Change is one state change, reported after it was applied, under the
// account lock. Fields that do not apply are empty.
type Change struct {
	Kind ChangeKind
	// Rev is the engine revision the change stamped on the changed record
	// (Conversation.Rev, Participant.Rev, Message.Rev, User.Rev); removals
	// get a revision of their own. Revisions increase with every change.
	Rev uint64

	ChatServiceSID  string
	ConversationSID string
	ParticipantSID  string
	// Identity is the chat identity of the participant or user concerned.
	Identity string
	// PreviousIdentity is set when a participant update changed its identity.
	PreviousIdentity string
	MessageSID       string
	MessageIndex     int
	UserSID          string

	// What a removal removed, as it was (removals only).
	Conversation *Conversation  // ConversationRemoved
	Participants []*Participant // ConversationRemoved: its participants
	Participant  *Participant   // ParticipantRemoved
	Message      *Message       // MessageRemoved
}

// Subscribe registers fn for every change. Listeners run synchronously,
// under the account lock, right after the change was applied (before its
// webhooks and Studio run); they must not block and may read the engine but
// not change it.
func (e *Engine) Subscribe(fn func(Change)) { e.changeListeners = append(e.changeListeners, fn) }

// Revision is the engine's latest revision: every change stamps a higher one.
func (e *Engine) Revision() uint64 { return e.rev }

// nextRev returns a new revision.
func (e *Engine) nextRev() uint64 { e.rev++; return e.rev }

// changed delivers ch to the listeners.
func (e *Engine) changed(ch Change) {
	for _, fn := range e.changeListeners {
		fn(ch)
	}
}

// conversationChanged stamps c with a new revision and reports it.
func (e *Engine) conversationChanged(c *conversation, kind ChangeKind) {
	c.Rev = e.nextRev()
	e.changed(Change{Kind: kind, Rev: c.Rev, ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID})
}

// participantChanged stamps p with a new revision and reports it.
func (e *Engine) participantChanged(c *conversation, p *Participant, kind ChangeKind, previousIdentity string) {
	p.Rev = e.nextRev()
	e.changed(Change{Kind: kind, Rev: p.Rev, ChatServiceSID: c.ChatServiceSID, ConversationSID: c.SID,
		ParticipantSID: p.SID, Identity: p.Identity, PreviousIdentity: previousIdentity})
}

// userChanged stamps u with a new revision and reports it.
func (e *Engine) userChanged(u *User, kind ChangeKind) {
	u.Rev = e.nextRev()
	e.changed(Change{Kind: kind, Rev: u.Rev, ChatServiceSID: u.ChatServiceSID, UserSID: u.SID, Identity: u.Identity})
}

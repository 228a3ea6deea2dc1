package taskrouter

import (
	"fmt"
	"github.com/flexemu/flexemu/emulator/eventtype"
	"strings"
	"time"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// TaskChannel is a kind of work (voice, chat, ...); every worker has one
// WorkerChannel per task channel holding its capacity for that kind.
type TaskChannel struct {
	SID                     string
	WorkspaceSID            string
	FriendlyName            string
	UniqueName              string
	ChannelOptimizedRouting bool
	DateCreated             time.Time
	DateUpdated             time.Time
}

// CreateTaskChannelParams are the TaskChannel create parameters.
type CreateTaskChannelParams struct {
	SID                     string // optional pinned SID (fixtures)
	FriendlyName            string
	UniqueName              string
	ChannelOptimizedRouting bool
}

// CreateTaskChannel adds a channel and a WorkerChannel for it to every worker.
func (e *Engine) CreateTaskChannel(wsSID string, p CreateTaskChannelParams) (*TaskChannel, error) {
	e.begin()
	defer e.end()
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	if err := checkName("FriendlyName", p.FriendlyName); err != nil {
		return nil, err
	}
	if strings.TrimSpace(p.UniqueName) == "" {
		return nil, twilio.MissingParam("UniqueName")
	}
	if strings.Contains(p.UniqueName, "-") || len(p.UniqueName) > 64 {
		return nil, twilio.InvalidParam("UniqueName", "%q must be at most 64 characters without hyphens", p.UniqueName)
	}
	for _, c := range ws.channels.list {
		if c.UniqueName == p.UniqueName {
			return nil, twilio.Conflict(twilio.CodeConflict, "TaskChannel with UniqueName %q already exists", p.UniqueName)
		}
	}
	sid, err := e.pickSID(p.SID, "TC", func(s string) bool { return ws.channels.get(s) != nil })
	if err != nil {
		return nil, err
	}
	now := e.env.Now()
	c := &TaskChannel{SID: sid, WorkspaceSID: ws.SID, FriendlyName: p.FriendlyName, UniqueName: p.UniqueName,
		ChannelOptimizedRouting: p.ChannelOptimizedRouting, DateCreated: now, DateUpdated: now}
	ws.channels.add(sid, c)
	for _, w := range ws.workers.list {
		w.channels = append(w.channels, newWorkerChannel(w, c, now))
		e.syncReady(ws, w)
	}
	e.emit(Event{Type: eventtype.TaskChannelCreated, WorkspaceSID: ws.SID}, sid,
		fmt.Sprintf("task channel %s %q created", sid, c.UniqueName),
		map[string]string{"workspace_sid": ws.SID, "task_channel": c.UniqueName})
	return c, nil
}

// UpdateTaskChannelParams are the TaskChannel update parameters; nil = unchanged.
type UpdateTaskChannelParams struct {
	FriendlyName            *string
	ChannelOptimizedRouting *bool
}

// UpdateTaskChannel changes a channel's name or routing mode. sid may be the
// TC SID or the unique name.
func (e *Engine) UpdateTaskChannel(wsSID, sid string, p UpdateTaskChannelParams) (*TaskChannel, error) {
	e.begin()
	defer e.end()
	ws, c, err := e.taskChannel(wsSID, sid)
	if err != nil {
		return nil, err
	}
	if p.FriendlyName != nil {
		if err := checkName("FriendlyName", *p.FriendlyName); err != nil {
			return nil, err
		}
		c.FriendlyName = *p.FriendlyName
	}
	if p.ChannelOptimizedRouting != nil && *p.ChannelOptimizedRouting != c.ChannelOptimizedRouting {
		c.ChannelOptimizedRouting = *p.ChannelOptimizedRouting
		e.syncAllReady(ws) // the channel's idle order changed
	}
	c.DateUpdated = e.env.Now()
	e.emit(Event{Type: eventtype.TaskChannelUpdated, WorkspaceSID: ws.SID}, c.SID,
		fmt.Sprintf("task channel %s %q updated", c.SID, c.UniqueName),
		map[string]string{"workspace_sid": ws.SID, "task_channel": c.UniqueName})
	return c, nil
}

// DeleteTaskChannel removes a channel no live task uses, and its WorkerChannels.
func (e *Engine) DeleteTaskChannel(wsSID, sid string) error {
	e.begin()
	defer e.end()
	ws, c, err := e.taskChannel(wsSID, sid)
	if err != nil {
		return err
	}
	for _, t := range ws.tasks.list {
		if t.channel == c && !t.terminal() {
			return twilio.BadRequest("TaskChannel %s cannot be deleted: task %s (%s) uses it", c.SID, t.SID, t.AssignmentStatus)
		}
	}
	for _, w := range ws.workers.list {
		for i, wc := range w.channels {
			if wc.channel == c {
				e.dropWorkerChannel(w, wc)
				w.channels = append(w.channels[:i], w.channels[i+1:]...)
				break
			}
		}
	}
	ws.channels.remove(c.SID)
	e.emit(Event{Type: eventtype.TaskChannelDeleted, WorkspaceSID: ws.SID}, c.SID,
		fmt.Sprintf("task channel %s %q deleted", c.SID, c.UniqueName),
		map[string]string{"workspace_sid": ws.SID, "task_channel": c.UniqueName})
	return nil
}

// TaskChannel returns one channel by SID or unique name.
func (e *Engine) TaskChannel(wsSID, sidOrName string) (*TaskChannel, error) {
	_, c, err := e.taskChannel(wsSID, sidOrName)
	return c, err
}

// TaskChannelByName returns a channel by unique name.
func (e *Engine) TaskChannelByName(wsSID, uniqueName string) (*TaskChannel, error) {
	return e.TaskChannel(wsSID, uniqueName)
}

// TaskChannels lists a workspace's channels, oldest first.
func (e *Engine) TaskChannels(wsSID string) ([]*TaskChannel, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, err
	}
	return ws.channels.all(), nil
}

func (e *Engine) taskChannel(wsSID, sidOrName string) (*Workspace, *TaskChannel, error) {
	ws, err := e.ws(wsSID)
	if err != nil {
		return nil, nil, err
	}
	if c := ws.findChannel(sidOrName); c != nil {
		return ws, c, nil
	}
	return nil, nil, twilio.NotFound(fmt.Sprintf("/Workspaces/%s/TaskChannels/%s", wsSID, sidOrName))
}

// findChannel resolves a TC SID or unique name.
func (ws *Workspace) findChannel(sidOrName string) *TaskChannel {
	if c := ws.channels.get(sidOrName); c != nil {
		return c
	}
	for _, c := range ws.channels.list {
		if c.UniqueName == sidOrName {
			return c
		}
	}
	return nil
}

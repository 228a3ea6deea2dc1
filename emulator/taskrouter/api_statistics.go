package taskrouter

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/flexemu/flexemu/emulator/twilio"
)

// statisticsRoutes are the Statistics, RealTimeStatistics and
// CumulativeStatistics resources of workspaces, queues, workflows and workers.
func statisticsRoutes() []route {
	const (
		ws = "/v1/Workspaces/{WorkspaceSid}"
		q  = ws + "/TaskQueues/{TaskQueueSid}"
		wf = ws + "/Workflows/{WorkflowSid}"
	)
	get := func(path string, h func(*Engine, *twilio.Request) (any, error)) route {
		return route{Method: http.MethodGet, Path: path, Handle: h}
	}
	return []route{
		get(ws+"/Statistics", workspaceStatistics),
		get(ws+"/RealTimeStatistics", workspaceRealTimeStatistics),
		get(ws+"/CumulativeStatistics", workspaceCumulativeStatistics),
		get(q+"/Statistics", taskQueueStatistics),
		get(q+"/RealTimeStatistics", taskQueueRealTimeStatistics),
		get(q+"/CumulativeStatistics", taskQueueCumulativeStatistics),
		get(ws+"/TaskQueues/Statistics", listTaskQueuesStatistics),
		{Method: http.MethodPost, Path: ws + "/TaskQueues/RealTimeStatistics", JSON: true, Handle: bulkTaskQueueRealTimeStatistics},
		get(wf+"/Statistics", workflowStatistics),
		get(wf+"/RealTimeStatistics", workflowRealTimeStatistics),
		get(wf+"/CumulativeStatistics", workflowCumulativeStatistics),
		get(ws+"/Workers/Statistics", workersStatistics),
		get(ws+"/Workers/RealTimeStatistics", workersRealTimeStatistics),
		get(ws+"/Workers/CumulativeStatistics", workersCumulativeStatistics),
		get(ws+"/Workers/{WorkerSid}/Statistics", workerStatistics),
	}
}

// ---- views (field names as in twilio_taskrouter_v1.json)

type durationView struct {
	Avg   int `json:"avg"`
	Min   int `json:"min"`
	Max   int `json:"max"`
	Total int `json:"total"`
}

func viewDuration(d DurationStats) durationView {
	return durationView{Avg: d.Avg, Min: d.Min, Max: d.Max, Total: d.Total}
}

type activityCountView struct {
	FriendlyName string `json:"friendly_name"`
	SID          string `json:"sid"`
	Workers      int    `json:"workers"`
}

type activityDurationView struct {
	Avg          int    `json:"avg"`
	FriendlyName string `json:"friendly_name"`
	Max          int    `json:"max"`
	Min          int    `json:"min"`
	SID          string `json:"sid"`
	Total        int    `json:"total"`
}

type splitSideView struct {
	TasksCanceled        int `json:"tasks_canceled"`
	ReservationsAccepted int `json:"reservations_accepted"`
}

type reservationCountsView struct {
	ReservationsCreated   int `json:"reservations_created"`
	ReservationsAccepted  int `json:"reservations_accepted"`
	ReservationsRejected  int `json:"reservations_rejected"`
	ReservationsTimedOut  int `json:"reservations_timed_out"`
	ReservationsCanceled  int `json:"reservations_canceled"`
	ReservationsRescinded int `json:"reservations_rescinded"`
}

func viewReservationCounts(c *CumulativeStatistics) reservationCountsView {
	return reservationCountsView{ReservationsCreated: c.ReservationsCreated, ReservationsAccepted: c.ReservationsAccepted,
		ReservationsRejected: c.ReservationsRejected, ReservationsTimedOut: c.ReservationsTimedOut,
		ReservationsCanceled: c.ReservationsCanceled, ReservationsRescinded: c.ReservationsRescinded}
}

// cumulativeCommon are the fields every task-level cumulative view shares.
type cumulativeCommon struct {
	AvgTaskAcceptanceTime int    `json:"avg_task_acceptance_time"`
	StartTime             string `json:"start_time"`
	EndTime               string `json:"end_time"`
	reservationCountsView
	SplitByWaitTime           map[string]map[string]splitSideView `json:"split_by_wait_time"`
	WaitDurationUntilAccepted durationView                        `json:"wait_duration_until_accepted"`
	WaitDurationUntilCanceled durationView                        `json:"wait_duration_until_canceled"`
	TasksCanceled             int                                 `json:"tasks_canceled"`
	TasksCompleted            int                                 `json:"tasks_completed"`
	TasksDeleted              int                                 `json:"tasks_deleted"`
	TasksMoved                int                                 `json:"tasks_moved"`
}

func viewCumulativeCommon(c *CumulativeStatistics) cumulativeCommon {
	v := cumulativeCommon{AvgTaskAcceptanceTime: c.AvgTaskAcceptanceTime, StartTime: twilio.Time(c.StartTime),
		EndTime: twilio.Time(c.EndTime), reservationCountsView: viewReservationCounts(c),
		WaitDurationUntilAccepted: viewDuration(c.WaitDurationUntilAccepted),
		WaitDurationUntilCanceled: viewDuration(c.WaitDurationUntilCanceled),
		TasksCanceled:             c.TasksCanceled, TasksCompleted: c.TasksCompleted, TasksDeleted: c.TasksDeleted,
		TasksMoved: c.TasksMoved}
	if c.SplitByWaitTime != nil {
		v.SplitByWaitTime = map[string]map[string]splitSideView{}
		for _, s := range c.SplitByWaitTime {
			v.SplitByWaitTime[strconv.Itoa(s.Threshold)] = map[string]splitSideView{
				"above": {TasksCanceled: s.Above.TasksCanceled, ReservationsAccepted: s.Above.ReservationsAccepted},
				"below": {TasksCanceled: s.Below.TasksCanceled, ReservationsAccepted: s.Below.ReservationsAccepted}}
		}
	}
	return v
}

func viewActivityCounts(rt *RealTimeStatistics) []activityCountView {
	out := make([]activityCountView, 0, len(rt.ActivityStatistics))
	for _, a := range rt.ActivityStatistics {
		out = append(out, activityCountView{FriendlyName: a.FriendlyName, SID: a.SID, Workers: a.Workers})
	}
	return out
}

func viewActivityDurations(c *CumulativeStatistics) []activityDurationView {
	out := make([]activityDurationView, 0, len(c.ActivityDurations))
	for _, a := range c.ActivityDurations {
		out = append(out, activityDurationView{Avg: a.Avg, FriendlyName: a.FriendlyName, Max: a.Max, Min: a.Min,
			SID: a.SID, Total: a.Total})
	}
	return out
}

// Workspace

type workspaceCumulativeBody struct {
	cumulativeCommon
	TasksCreated            int `json:"tasks_created"`
	TasksTimedOutInWorkflow int `json:"tasks_timed_out_in_workflow"`
}

type workspaceRealTimeBody struct {
	ActivityStatistics    []activityCountView `json:"activity_statistics"`
	LongestTaskWaitingAge int                 `json:"longest_task_waiting_age"`
	LongestTaskWaitingSID *string             `json:"longest_task_waiting_sid"`
	TasksByPriority       map[string]int      `json:"tasks_by_priority"`
	TasksByStatus         map[string]int      `json:"tasks_by_status"`
	TotalTasks            int                 `json:"total_tasks"`
	TotalWorkers          int                 `json:"total_workers"`
}

type workspaceCumulativeView struct {
	AccountSID string `json:"account_sid"`
	workspaceCumulativeBody
	WorkspaceSID string `json:"workspace_sid"`
	URL          string `json:"url"`
}

type workspaceRealTimeView struct {
	AccountSID string `json:"account_sid"`
	workspaceRealTimeBody
	WorkspaceSID string `json:"workspace_sid"`
	URL          string `json:"url"`
}

type workspaceStatisticsView struct {
	Realtime     workspaceRealTimeBody   `json:"realtime"`
	Cumulative   workspaceCumulativeBody `json:"cumulative"`
	AccountSID   string                  `json:"account_sid"`
	WorkspaceSID string                  `json:"workspace_sid"`
	URL          string                  `json:"url"`
}

func workspaceCumulative(c *CumulativeStatistics) workspaceCumulativeBody {
	return workspaceCumulativeBody{cumulativeCommon: viewCumulativeCommon(c), TasksCreated: c.TasksEntered,
		TasksTimedOutInWorkflow: c.TasksTimedOutInWorkflow}
}

func workspaceRealTime(rt *RealTimeStatistics) workspaceRealTimeBody {
	return workspaceRealTimeBody{ActivityStatistics: viewActivityCounts(rt), LongestTaskWaitingAge: rt.LongestTaskWaitingAge,
		LongestTaskWaitingSID: twilio.NullString(rt.LongestTaskWaitingSID), TasksByPriority: rt.TasksByPriority,
		TasksByStatus: rt.TasksByStatus, TotalTasks: rt.TotalTasks, TotalWorkers: rt.TotalWorkers}
}

// statsParams decodes the cumulative statistics filters.
func statsParams(r *twilio.Request) (StatisticsParams, error) {
	var p StatisticsParams
	var err error
	if p.Minutes, err = r.Form.OptInt("Minutes", 1, maxLookbackMinutes); err != nil {
		return p, err
	}
	if p.StartDate, err = optTime(r.Form, "StartDate"); err != nil {
		return p, err
	}
	if p.EndDate, err = optTime(r.Form, "EndDate"); err != nil {
		return p, err
	}
	p.TaskChannel, _ = r.Form.String("TaskChannel")
	p.SplitByWaitTime, _ = r.Form.String("SplitByWaitTime")
	return p, nil
}

func taskChannelParam(r *twilio.Request) string { v, _ := r.Form.String("TaskChannel"); return v }

func workspaceStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	wsSID := r.Path("WorkspaceSid")
	c, err := e.WorkspaceCumulativeStatistics(wsSID, p)
	if err != nil {
		return nil, err
	}
	rt, err := e.WorkspaceRealTimeStatistics(wsSID, p.TaskChannel)
	if err != nil {
		return nil, err
	}
	return workspaceStatisticsView{Realtime: workspaceRealTime(rt), Cumulative: workspaceCumulative(c),
		AccountSID: e.env.AccountSID, WorkspaceSID: wsSID, URL: r.URL(wsPath(r) + "/Statistics")}, nil
}

func workspaceRealTimeStatistics(e *Engine, r *twilio.Request) (any, error) {
	rt, err := e.WorkspaceRealTimeStatistics(r.Path("WorkspaceSid"), taskChannelParam(r))
	if err != nil {
		return nil, err
	}
	return workspaceRealTimeView{AccountSID: e.env.AccountSID, workspaceRealTimeBody: workspaceRealTime(rt),
		WorkspaceSID: r.Path("WorkspaceSid"), URL: r.URL(wsPath(r) + "/RealTimeStatistics")}, nil
}

func workspaceCumulativeStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	c, err := e.WorkspaceCumulativeStatistics(r.Path("WorkspaceSid"), p)
	if err != nil {
		return nil, err
	}
	return workspaceCumulativeView{AccountSID: e.env.AccountSID, workspaceCumulativeBody: workspaceCumulative(c),
		WorkspaceSID: r.Path("WorkspaceSid"), URL: r.URL(wsPath(r) + "/CumulativeStatistics")}, nil
}

// TaskQueues

type taskQueueCumulativeBody struct {
	cumulativeCommon
	TasksEntered                     int          `json:"tasks_entered"`
	WaitDurationInQueueUntilAccepted durationView `json:"wait_duration_in_queue_until_accepted"`
}

type taskQueueRealTimeBody struct {
	ActivityStatistics            []activityCountView `json:"activity_statistics"`
	LongestTaskWaitingAge         int                 `json:"longest_task_waiting_age"`
	LongestTaskWaitingSID         *string             `json:"longest_task_waiting_sid"`
	LongestRelativeTaskAgeInQueue int                 `json:"longest_relative_task_age_in_queue"`
	LongestRelativeTaskSIDInQueue *string             `json:"longest_relative_task_sid_in_queue"`
	TasksByPriority               map[string]int      `json:"tasks_by_priority"`
	TasksByStatus                 map[string]int      `json:"tasks_by_status"`
	TotalAvailableWorkers         int                 `json:"total_available_workers"`
	TotalEligibleWorkers          int                 `json:"total_eligible_workers"`
	TotalTasks                    int                 `json:"total_tasks"`
}

type taskQueueCumulativeView struct {
	AccountSID string `json:"account_sid"`
	taskQueueCumulativeBody
	TaskQueueSID string `json:"task_queue_sid"`
	WorkspaceSID string `json:"workspace_sid"`
	URL          string `json:"url"`
}

type taskQueueRealTimeView struct {
	AccountSID string `json:"account_sid"`
	taskQueueRealTimeBody
	TaskQueueSID string `json:"task_queue_sid"`
	WorkspaceSID string `json:"workspace_sid"`
	URL          string `json:"url"`
}

type taskQueueStatisticsView struct {
	AccountSID   string                  `json:"account_sid"`
	Cumulative   taskQueueCumulativeBody `json:"cumulative"`
	Realtime     taskQueueRealTimeBody   `json:"realtime"`
	TaskQueueSID string                  `json:"task_queue_sid"`
	WorkspaceSID string                  `json:"workspace_sid"`
	URL          string                  `json:"url"`
}

// taskQueuesStatisticsView is one entry of the TaskQueues/Statistics list (no url).
type taskQueuesStatisticsView struct {
	AccountSID   string                  `json:"account_sid"`
	Cumulative   taskQueueCumulativeBody `json:"cumulative"`
	Realtime     taskQueueRealTimeBody   `json:"realtime"`
	TaskQueueSID string                  `json:"task_queue_sid"`
	WorkspaceSID string                  `json:"workspace_sid"`
}

func taskQueueCumulative(c *CumulativeStatistics) taskQueueCumulativeBody {
	return taskQueueCumulativeBody{cumulativeCommon: viewCumulativeCommon(c), TasksEntered: c.TasksEntered,
		WaitDurationInQueueUntilAccepted: viewDuration(c.WaitDurationInQueueUntilAccepted)}
}

func taskQueueRealTime(rt *RealTimeStatistics) taskQueueRealTimeBody {
	return taskQueueRealTimeBody{ActivityStatistics: viewActivityCounts(rt), LongestTaskWaitingAge: rt.LongestTaskWaitingAge,
		LongestTaskWaitingSID: twilio.NullString(rt.LongestTaskWaitingSID), LongestRelativeTaskAgeInQueue: rt.LongestRelativeTaskAgeInQueue,
		LongestRelativeTaskSIDInQueue: twilio.NullString(rt.LongestRelativeTaskSIDInQueue), TasksByPriority: rt.TasksByPriority,
		TasksByStatus: rt.TasksByStatus, TotalAvailableWorkers: rt.TotalAvailableWorkers,
		TotalEligibleWorkers: rt.TotalEligibleWorkers, TotalTasks: rt.TotalTasks}
}

func queuePath(r *twilio.Request) string { return wsPath(r) + "/TaskQueues/" + r.Path("TaskQueueSid") }

func taskQueueStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	wsSID, qSID := r.Path("WorkspaceSid"), r.Path("TaskQueueSid")
	c, err := e.TaskQueueCumulativeStatistics(wsSID, qSID, p)
	if err != nil {
		return nil, err
	}
	rt, err := e.TaskQueueRealTimeStatistics(wsSID, qSID, p.TaskChannel)
	if err != nil {
		return nil, err
	}
	return taskQueueStatisticsView{AccountSID: e.env.AccountSID, Cumulative: taskQueueCumulative(c),
		Realtime: taskQueueRealTime(rt), TaskQueueSID: qSID, WorkspaceSID: wsSID, URL: r.URL(queuePath(r) + "/Statistics")}, nil
}

func taskQueueRealTimeStatistics(e *Engine, r *twilio.Request) (any, error) {
	wsSID, qSID := r.Path("WorkspaceSid"), r.Path("TaskQueueSid")
	rt, err := e.TaskQueueRealTimeStatistics(wsSID, qSID, taskChannelParam(r))
	if err != nil {
		return nil, err
	}
	return taskQueueRealTimeView{AccountSID: e.env.AccountSID, taskQueueRealTimeBody: taskQueueRealTime(rt),
		TaskQueueSID: qSID, WorkspaceSID: wsSID, URL: r.URL(queuePath(r) + "/RealTimeStatistics")}, nil
}

// taskQueueBulkEntryView is one entry of task_queue_data, with the fields of
// the spec's example (no longest_relative_* ones).
type taskQueueBulkEntryView struct {
	TaskQueueSID          string              `json:"task_queue_sid"`
	LongestTaskWaitingAge int                 `json:"longest_task_waiting_age"`
	LongestTaskWaitingSID *string             `json:"longest_task_waiting_sid"`
	TotalTasks            int                 `json:"total_tasks"`
	TotalEligibleWorkers  int                 `json:"total_eligible_workers"`
	TotalAvailableWorkers int                 `json:"total_available_workers"`
	TasksByStatus         map[string]int      `json:"tasks_by_status"`
	TasksByPriority       map[string]int      `json:"tasks_by_priority"`
	ActivityStatistics    []activityCountView `json:"activity_statistics"`
}

// taskQueueBulkRealTimeView is TaskQueueBulkRealTimeStatistics.
type taskQueueBulkRealTimeView struct {
	AccountSID             string                   `json:"account_sid"`
	WorkspaceSID           string                   `json:"workspace_sid"`
	TaskQueueData          []taskQueueBulkEntryView `json:"task_queue_data"`
	TaskQueueResponseCount int                      `json:"task_queue_response_count"`
	URL                    string                   `json:"url"`
}

// bulkTaskQueueRealTimeStatistics is POST TaskQueues/RealTimeStatistics:
// the real-time statistics of up to 50 queues, named by QueueSids in a JSON
// body ({"QueueSids": ["WQ…", …]}, as Twilio's libraries send it) or as a
// form parameter (repeated or comma-separated).
func bulkTaskQueueRealTimeStatistics(e *Engine, r *twilio.Request) (any, error) {
	sids, err := bulkQueueSIDs(r)
	if err != nil {
		return nil, err
	}
	wsSID := r.Path("WorkspaceSid")
	stats, err := e.TaskQueuesRealTimeStatistics(wsSID, sids)
	if err != nil {
		return nil, err
	}
	v := taskQueueBulkRealTimeView{AccountSID: e.env.AccountSID, WorkspaceSID: wsSID,
		TaskQueueData: make([]taskQueueBulkEntryView, 0, len(stats)), TaskQueueResponseCount: len(stats),
		URL: r.URL(wsPath(r) + "/TaskQueues/RealTimeStatistics")}
	for _, s := range stats {
		rt := s.RealTime
		v.TaskQueueData = append(v.TaskQueueData, taskQueueBulkEntryView{TaskQueueSID: s.Queue.SID,
			LongestTaskWaitingAge: rt.LongestTaskWaitingAge, LongestTaskWaitingSID: twilio.NullString(rt.LongestTaskWaitingSID),
			TotalTasks: rt.TotalTasks, TotalEligibleWorkers: rt.TotalEligibleWorkers, TotalAvailableWorkers: rt.TotalAvailableWorkers,
			TasksByStatus: rt.TasksByStatus, TasksByPriority: rt.TasksByPriority, ActivityStatistics: viewActivityCounts(rt)})
	}
	return v, nil
}

// bulkQueueSIDs reads QueueSids from a JSON object body (twilio-go sends
// one, as the spec's requestBody says), else from the form.
func bulkQueueSIDs(r *twilio.Request) ([]string, error) {
	raw := bytes.TrimSpace(r.JSON)
	if len(raw) == 0 || raw[0] != '{' {
		return r.Form.Strings("QueueSids"), nil
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, twilio.BadRequest("malformed JSON body: %v", err)
	}
	list, ok := body["QueueSids"]
	if !ok {
		return nil, nil // "required" (TaskQueuesRealTimeStatistics)
	}
	var sids []string
	if err := json.Unmarshal(list, &sids); err != nil {
		return nil, twilio.InvalidParam("QueueSids", "must be a JSON array of TaskQueue SIDs")
	}
	return sids, nil
}

func taskQueueCumulativeStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	wsSID, qSID := r.Path("WorkspaceSid"), r.Path("TaskQueueSid")
	c, err := e.TaskQueueCumulativeStatistics(wsSID, qSID, p)
	if err != nil {
		return nil, err
	}
	return taskQueueCumulativeView{AccountSID: e.env.AccountSID, taskQueueCumulativeBody: taskQueueCumulative(c),
		TaskQueueSID: qSID, WorkspaceSID: wsSID, URL: r.URL(queuePath(r) + "/CumulativeStatistics")}, nil
}

func listTaskQueuesStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	name, _ := r.Form.String("FriendlyName")
	list, err := e.TaskQueuesStatistics(r.Path("WorkspaceSid"), name, p)
	if err != nil {
		return nil, err
	}
	return twilio.Paginate(r, r.URL(wsPath(r)+"/TaskQueues/Statistics"), "task_queues_statistics", list,
		func(s TaskQueueStatistics) any {
			return taskQueuesStatisticsView{AccountSID: e.env.AccountSID, Cumulative: taskQueueCumulative(s.Cumulative),
				Realtime: taskQueueRealTime(s.RealTime), TaskQueueSID: s.Queue.SID, WorkspaceSID: s.Queue.WorkspaceSID}
		}, maxPageSize)
}

// Workflows

type workflowCumulativeBody struct {
	cumulativeCommon
	TasksEntered            int `json:"tasks_entered"`
	TasksTimedOutInWorkflow int `json:"tasks_timed_out_in_workflow"`
}

type workflowRealTimeBody struct {
	LongestTaskWaitingAge int            `json:"longest_task_waiting_age"`
	LongestTaskWaitingSID *string        `json:"longest_task_waiting_sid"`
	TasksByPriority       map[string]int `json:"tasks_by_priority"`
	TasksByStatus         map[string]int `json:"tasks_by_status"`
	TotalTasks            int            `json:"total_tasks"`
}

type workflowCumulativeView struct {
	AccountSID string `json:"account_sid"`
	workflowCumulativeBody
	WorkflowSID  string `json:"workflow_sid"`
	WorkspaceSID string `json:"workspace_sid"`
	URL          string `json:"url"`
}

type workflowRealTimeView struct {
	AccountSID string `json:"account_sid"`
	workflowRealTimeBody
	WorkflowSID  string `json:"workflow_sid"`
	WorkspaceSID string `json:"workspace_sid"`
	URL          string `json:"url"`
}

type workflowStatisticsView struct {
	AccountSID   string                 `json:"account_sid"`
	Cumulative   workflowCumulativeBody `json:"cumulative"`
	Realtime     workflowRealTimeBody   `json:"realtime"`
	WorkflowSID  string                 `json:"workflow_sid"`
	WorkspaceSID string                 `json:"workspace_sid"`
	URL          string                 `json:"url"`
}

func workflowCumulative(c *CumulativeStatistics) workflowCumulativeBody {
	return workflowCumulativeBody{cumulativeCommon: viewCumulativeCommon(c), TasksEntered: c.TasksEntered,
		TasksTimedOutInWorkflow: c.TasksTimedOutInWorkflow}
}

func workflowRealTime(rt *RealTimeStatistics) workflowRealTimeBody {
	return workflowRealTimeBody{LongestTaskWaitingAge: rt.LongestTaskWaitingAge, LongestTaskWaitingSID: twilio.NullString(rt.LongestTaskWaitingSID),
		TasksByPriority: rt.TasksByPriority, TasksByStatus: rt.TasksByStatus, TotalTasks: rt.TotalTasks}
}

func workflowPath(r *twilio.Request) string { return wsPath(r) + "/Workflows/" + r.Path("WorkflowSid") }

func workflowStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	wsSID, wfSID := r.Path("WorkspaceSid"), r.Path("WorkflowSid")
	c, err := e.WorkflowCumulativeStatistics(wsSID, wfSID, p)
	if err != nil {
		return nil, err
	}
	rt, err := e.WorkflowRealTimeStatistics(wsSID, wfSID, p.TaskChannel)
	if err != nil {
		return nil, err
	}
	return workflowStatisticsView{AccountSID: e.env.AccountSID, Cumulative: workflowCumulative(c), Realtime: workflowRealTime(rt),
		WorkflowSID: wfSID, WorkspaceSID: wsSID, URL: r.URL(workflowPath(r) + "/Statistics")}, nil
}

func workflowRealTimeStatistics(e *Engine, r *twilio.Request) (any, error) {
	wsSID, wfSID := r.Path("WorkspaceSid"), r.Path("WorkflowSid")
	rt, err := e.WorkflowRealTimeStatistics(wsSID, wfSID, taskChannelParam(r))
	if err != nil {
		return nil, err
	}
	return workflowRealTimeView{AccountSID: e.env.AccountSID, workflowRealTimeBody: workflowRealTime(rt),
		WorkflowSID: wfSID, WorkspaceSID: wsSID, URL: r.URL(workflowPath(r) + "/RealTimeStatistics")}, nil
}

func workflowCumulativeStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	wsSID, wfSID := r.Path("WorkspaceSid"), r.Path("WorkflowSid")
	c, err := e.WorkflowCumulativeStatistics(wsSID, wfSID, p)
	if err != nil {
		return nil, err
	}
	return workflowCumulativeView{AccountSID: e.env.AccountSID, workflowCumulativeBody: workflowCumulative(c),
		WorkflowSID: wfSID, WorkspaceSID: wsSID, URL: r.URL(workflowPath(r) + "/CumulativeStatistics")}, nil
}

// Workers

type workersCumulativeBody struct {
	StartTime         string                 `json:"start_time"`
	EndTime           string                 `json:"end_time"`
	ActivityDurations []activityDurationView `json:"activity_durations"`
	reservationCountsView
}

type workersRealTimeBody struct {
	ActivityStatistics []activityCountView `json:"activity_statistics"`
	TotalWorkers       int                 `json:"total_workers"`
}

type workersCumulativeView struct {
	AccountSID string `json:"account_sid"`
	workersCumulativeBody
	WorkspaceSID string `json:"workspace_sid"`
	URL          string `json:"url"`
}

type workersRealTimeView struct {
	AccountSID string `json:"account_sid"`
	workersRealTimeBody
	WorkspaceSID string `json:"workspace_sid"`
	URL          string `json:"url"`
}

type workersStatisticsView struct {
	Realtime     workersRealTimeBody   `json:"realtime"`
	Cumulative   workersCumulativeBody `json:"cumulative"`
	AccountSID   string                `json:"account_sid"`
	WorkspaceSID string                `json:"workspace_sid"`
	URL          string                `json:"url"`
}

type workerInstanceStatisticsView struct {
	AccountSID   string                `json:"account_sid"`
	Cumulative   workersCumulativeBody `json:"cumulative"`
	WorkerSID    string                `json:"worker_sid"`
	WorkspaceSID string                `json:"workspace_sid"`
	URL          string                `json:"url"`
}

func workersCumulative(c *CumulativeStatistics) workersCumulativeBody {
	return workersCumulativeBody{StartTime: twilio.Time(c.StartTime), EndTime: twilio.Time(c.EndTime),
		ActivityDurations: viewActivityDurations(c), reservationCountsView: viewReservationCounts(c)}
}

func workersRealTime(rt *RealTimeStatistics) workersRealTimeBody {
	return workersRealTimeBody{ActivityStatistics: viewActivityCounts(rt), TotalWorkers: rt.TotalWorkers}
}

func workerSelection(r *twilio.Request) WorkerSelection {
	var s WorkerSelection
	s.TaskQueueSID, _ = r.Form.String("TaskQueueSid")
	s.TaskQueueName, _ = r.Form.String("TaskQueueName")
	s.FriendlyName, _ = r.Form.String("FriendlyName")
	return s
}

func workersStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	wsSID, sel := r.Path("WorkspaceSid"), workerSelection(r)
	c, err := e.WorkersCumulativeStatistics(wsSID, sel, p)
	if err != nil {
		return nil, err
	}
	rt, err := e.WorkersRealTimeStatistics(wsSID, sel, p.TaskChannel)
	if err != nil {
		return nil, err
	}
	return workersStatisticsView{Realtime: workersRealTime(rt), Cumulative: workersCumulative(c), AccountSID: e.env.AccountSID,
		WorkspaceSID: wsSID, URL: r.URL(wsPath(r) + "/Workers/Statistics")}, nil
}

func workersRealTimeStatistics(e *Engine, r *twilio.Request) (any, error) {
	wsSID := r.Path("WorkspaceSid")
	rt, err := e.WorkersRealTimeStatistics(wsSID, WorkerSelection{}, taskChannelParam(r))
	if err != nil {
		return nil, err
	}
	return workersRealTimeView{AccountSID: e.env.AccountSID, workersRealTimeBody: workersRealTime(rt), WorkspaceSID: wsSID,
		URL: r.URL(wsPath(r) + "/Workers/RealTimeStatistics")}, nil
}

func workersCumulativeStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	wsSID := r.Path("WorkspaceSid")
	c, err := e.WorkersCumulativeStatistics(wsSID, WorkerSelection{}, p)
	if err != nil {
		return nil, err
	}
	return workersCumulativeView{AccountSID: e.env.AccountSID, workersCumulativeBody: workersCumulative(c), WorkspaceSID: wsSID,
		URL: r.URL(wsPath(r) + "/Workers/CumulativeStatistics")}, nil
}

func workerStatistics(e *Engine, r *twilio.Request) (any, error) {
	p, err := statsParams(r)
	if err != nil {
		return nil, err
	}
	wsSID, wkSID := r.Path("WorkspaceSid"), r.Path("WorkerSid")
	c, err := e.WorkerCumulativeStatistics(wsSID, wkSID, p)
	if err != nil {
		return nil, err
	}
	return workerInstanceStatisticsView{AccountSID: e.env.AccountSID, Cumulative: workersCumulative(c), WorkerSID: wkSID,
		WorkspaceSID: wsSID, URL: r.URL(wsPath(r) + "/Workers/" + wkSID + "/Statistics")}, nil
}

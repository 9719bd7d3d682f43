package model

import (
	"fmt"
	"slices"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Rules of basic/patterns/progress.mdx, cancellation.mdx, subscriptions.mdx
// and server/utilities/logging.mdx: the notifications that accompany a
// request, and the listen stream.

func isListen(c *ctx) bool           { return c.req != nil && c.method == "subscriptions/listen" }
func isNonListenRequest(c *ctx) bool { return c.req != nil && c.method != "subscriptions/listen" }
func cancelled(c *ctx) bool          { return c.ex.CancelAt > 0 && len(c.ex.LineAt) > 0 }

// checkRequestNotifications: the notifications on a request's stream
// relate to it, progress increases and stops at completion, and log
// messages come only when asked for.
func checkRequestNotifications(c *ctx) {
	var token *wire.ProgressToken
	logLevel := -1
	if c.meta != nil {
		token = c.meta.ProgressToken
		if c.meta.LogLevel != nil {
			logLevel = wire.LogLevelRank(*c.meta.LogLevel)
		}
	}
	if c.complete() && c.answered() {
		c.judge(spec.CoreCancelledOnlyListen, spec.CoreStreamRelated)
		if logLevel < 0 {
			c.judge(spec.CoreLogOptIn)
		}
	}
	last, haveLast := 0.0, false
	for i, r := range c.ex.Replies {
		n, ok := r.Msg.(*wire.JSONRPCNotification)
		if !ok {
			continue
		}
		after := c.final >= 0 && i > c.final
		switch n.Method {
		case "notifications/progress":
			want := func() string {
				if token == nil {
					return "no progress notifications (the request has no progressToken)"
				}
				return "progressToken " + token.String()
			}
			p, ok := r.Params.(*wire.ProgressNotificationParams)
			if !ok {
				// The schema rules report malformed params; a token that is
				// not the request's (null among them) is reported here too.
				if raw, has := rawProgressToken(n.Params); has {
					var t wire.ProgressToken
					if token == nil || wire.Unmarshal(raw, &t) != nil || !t.Equal(*token) {
						c.judge(spec.CoreProgressToken)
						c.reportf(spec.CoreProgressToken, want(), "progress for token %s", raw)
					}
				}
				continue
			}
			c.judge(spec.CoreProgressToken, spec.CoreProgressAfterCompletion, spec.CoreProgressIncreasing)
			if token == nil || !p.ProgressToken.Equal(*token) {
				c.reportf(spec.CoreProgressToken, want(), "progress for token %s", p.ProgressToken)
				continue
			}
			if after {
				c.reportf(spec.CoreProgressAfterCompletion, "no progress after the response", "progress %v after the response", p.Progress)
			}
			if haveLast && !(p.Progress > last) {
				c.reportf(spec.CoreProgressIncreasing, fmt.Sprintf("progress above %v", last), "progress %v after %v", p.Progress, last)
			}
			last, haveLast = p.Progress, true
		case "notifications/message":
			c.judge(spec.CoreLogOptIn, spec.CoreLogCapability)
			if logLevel < 0 {
				c.report(spec.CoreLogOptIn, "notifications/message for a request without "+wire.MetaLogLevel, "no log messages unless the request sets a log level")
				continue
			}
			if f := c.facts(); f.discovered && !f.caps.logging {
				c.report(spec.CoreLogCapability, "log messages from a server whose capabilities lack logging", "the logging capability declared")
			}
		case "notifications/cancelled":
			c.report(spec.CoreCancelledOnlyListen, "notifications/cancelled on the stream of a "+c.method+" request", "notifications/cancelled only to end a subscriptions/listen stream")
		case "notifications/subscriptions/acknowledged", "notifications/tools/list_changed", "notifications/prompts/list_changed",
			"notifications/resources/list_changed", "notifications/resources/updated":
			c.reportf(spec.CoreStreamRelated, "only notifications related to the "+c.method+" request", "%s on the request's stream", n.Method)
		}
	}
}

// listenFilter returns the notification types requested by a listen.
func listenFilter(c *ctx) (f *wire.SubscriptionFilter) {
	if p, ok := c.params.(*wire.SubscriptionsListenRequestParams); ok {
		return &p.Notifications
	}
	return nil
}

// checkListen: the acknowledgement comes first, every message carries the
// subscription id, and only requested types are sent.
func checkListen(c *ctx) {
	filter := listenFilter(c)
	subID := c.req.ID
	if len(c.ex.Replies) > 0 {
		c.judge(spec.CoreListenAckFirst, spec.CoreListenAck, spec.CoreListenSubscriptionId, spec.CoreListenFilter)
	}
	for i, r := range c.ex.Replies {
		switch m := r.Msg.(type) {
		case *wire.JSONRPCNotification:
			if i == 0 && m.Method != "notifications/subscriptions/acknowledged" {
				c.reportf(spec.CoreListenAckFirst, "notifications/subscriptions/acknowledged first", "%s before the acknowledgement", m.Method)
			}
			if sid, ok := notificationSubscriptionID(r.Params); !ok || !sid.Equal(subID) {
				got := "no subscriptionId"
				if ok {
					got = "subscriptionId " + sid.String()
				}
				c.reportf(spec.CoreListenSubscriptionId, "_meta "+wire.MetaSubscriptionID+" "+subID.String(), "%s on %s", got, m.Method)
			}
			checkListenType(c, filter, m.Method, r.Params)
		case *wire.JSONRPCResultResponse:
			if i == 0 {
				c.report(spec.CoreListenAck, "a result with no acknowledgement before it", "notifications/subscriptions/acknowledged on accepting the subscription")
			}
		}
	}
}

// checkListenType judges one notification type on a listen stream.
func checkListenType(c *ctx, filter *wire.SubscriptionFilter, method string, params any) {
	if filter == nil {
		return
	}
	requested := func(b *bool) bool { return b != nil && *b }
	switch method {
	case "notifications/tools/list_changed":
		if !requested(filter.ToolsListChanged) {
			c.report(spec.CoreListenFilter, method+" on a stream that did not ask for toolsListChanged", "only requested notification types")
		}
	case "notifications/prompts/list_changed":
		if !requested(filter.PromptsListChanged) {
			c.report(spec.CoreListenFilter, method+" on a stream that did not ask for promptsListChanged", "only requested notification types")
		}
	case "notifications/resources/list_changed":
		if !requested(filter.ResourcesListChanged) {
			c.report(spec.CoreListenFilter, method+" on a stream that did not ask for resourcesListChanged", "only requested notification types")
		}
	case "notifications/resources/updated":
		if p, ok := params.(*wire.ResourceUpdatedNotificationParams); ok && !slices.Contains(filter.ResourceSubscriptions, p.URI) {
			c.reportf(spec.CoreListenFilter, "updates only for the URIs in resourceSubscriptions", "an update for %q", p.URI)
		}
	case "notifications/subscriptions/acknowledged":
		if p, ok := params.(*wire.SubscriptionsAcknowledgedNotificationParams); ok {
			checkAckSubset(c, filter, &p.Notifications)
		}
	case "notifications/tasks":
		if p, ok := params.(*wire.TaskStatusNotificationParams); ok && !slices.Contains(filter.TaskIDs, p.TaskID) {
			c.reportf(spec.CoreListenFilter, "task notifications only for the taskIds requested", "notifications/tasks for task %q, not requested", p.TaskID)
		}
	case "notifications/message":
		c.report(spec.CoreLogStream, "notifications/message on a listen stream", "log messages only on the stream of the request that set the level")
	case "notifications/progress":
		c.report(spec.CoreStreamRelated, "notifications/progress on a listen stream", "progress only on the stream of its request")
	case "notifications/cancelled":
		if p, ok := params.(*wire.CancelledNotificationParams); ok && (p.RequestID.IsZero() || !p.RequestID.Equal(c.req.ID)) {
			c.report(spec.CoreCancelledOnlyListen, "notifications/cancelled for another request on a listen stream", "notifications/cancelled referencing the listen request's id")
		}
	}
}

// checkAckSubset: the acknowledgement agrees to a subset of the request.
func checkAckSubset(c *ctx, req, ack *wire.SubscriptionFilter) {
	extra := func(a, r *bool) bool { return a != nil && *a && (r == nil || !*r) }
	if extra(ack.ToolsListChanged, req.ToolsListChanged) || extra(ack.PromptsListChanged, req.PromptsListChanged) || extra(ack.ResourcesListChanged, req.ResourcesListChanged) {
		c.report(spec.CoreListenFilter, "an acknowledgement of types the client did not request", "the acknowledged filter a subset of the requested one")
	}
	for _, u := range ack.ResourceSubscriptions {
		if !slices.Contains(req.ResourceSubscriptions, u) {
			c.reportf(spec.CoreListenFilter, "the acknowledged filter a subset of the requested one", "an acknowledged subscription to %q, not requested", u)
		}
	}
	for _, id := range ack.TaskIDs {
		if !slices.Contains(req.TaskIDs, id) {
			c.reportf(spec.CoreListenFilter, "the acknowledged filter a subset of the requested one", "acknowledged notifications of task %q, not requested", id)
		}
	}
}

// checkCancelSilence: nothing for a request after its cancellation (plus
// a grace period for messages already in flight).
func checkCancelSilence(c *ctx) {
	c.judge(spec.CoreCancelSilence)
	limit := c.ex.CancelAt + c.s.cfg.CancelGrace
	for i, at := range c.ex.LineAt {
		if at > limit && i < len(c.ex.Replies) {
			c.reportf(spec.CoreCancelSilence, "nothing after the cancellation", "message %d arrived %v after the request was cancelled", i+1, at-c.ex.CancelAt)
			return
		}
	}
}

// rawProgressToken returns the progressToken member of a notification's
// raw params, whatever its type.
func rawProgressToken(params wire.Value) (wire.Value, bool) {
	var p struct {
		Token wire.Value `json:"progressToken"`
	}
	if wire.Unmarshal(params, &p) != nil || p.Token == nil {
		return nil, false
	}
	return p.Token, true
}

package impl

import (
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// subscriptions/listen (basic/patterns/subscriptions.mdx).
//
// A listen request opens a stream that lives as long as the request. The
// server
//
//   - registers the subscription before it acknowledges it, and sends the
//     acknowledgment (notifications/subscriptions/acknowledged, with the
//     subscription's ID: the listen request's id) first: every notification
//     of the subscription is queued and written by the request's own
//     goroutine, after the acknowledgment;
//   - acknowledges only the types it honors, and sends only those;
//   - tags every message of the stream with
//     _meta.io.modelcontextprotocol/subscriptionId;
//   - writes SSE comments as keep-alives on a quiet HTTP stream;
//   - on the client's cancellation (closed stream, notifications/cancelled)
//     stops and sends nothing more;
//   - on its own teardown (Server.Close, or a client too slow to keep up)
//     sends notifications/cancelled for the listen request
//     (cancellation.mdx) and then the graceful-closure result carrying the
//     subscriptionId (subscriptions.mdx).
//
// Subscriptions live in one Server: a change announced on one instance
// reaches the streams open on that instance.
//
// A stream holds memory for as long as its client keeps it, so streams are
// bounded (limits.go): a listen names at most Config.MaxListenURIs
// resource URIs of at most listenURIBytes bytes each on average (else
// -32602, before anything is built from them); a principal holds at most
// MaxListensPerPrincipal streams (429) and the server at most MaxListens
// (503), so that no one principal can take them all. The refusal is a
// JSON-RPC error whose message names the limit.

// Topics of the hub.
const (
	topicTools           = "tools"
	topicPrompts         = "prompts"
	topicResources       = "resources"
	topicResourceUpdated = "resource"
)

// subscription is one open listen stream.
type subscription struct {
	id     wire.RequestID
	filter wire.SubscriptionFilter
	uris   map[string]bool
	ch     chan []byte
	done   chan struct{} // closed when the server tears the stream down
	once   sync.Once
}

func (sub *subscription) teardown() { sub.once.Do(func() { close(sub.done) }) }

func (sub *subscription) wants(topic, uri string) bool {
	switch topic {
	case topicTools:
		return isTrue(sub.filter.ToolsListChanged)
	case topicPrompts:
		return isTrue(sub.filter.PromptsListChanged)
	case topicResources:
		return isTrue(sub.filter.ResourcesListChanged)
	case topicResourceUpdated:
		return sub.uris[uri]
	}
	return false
}

// hub fans announcements out to the open subscriptions.
type hub struct {
	mu     sync.Mutex
	subs   map[*subscription]bool
	closed bool
}

func newHub() *hub { return &hub{subs: map[*subscription]bool{}} }

func (h *hub) add(sub *subscription) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.subs[sub] = true
	return true
}

func (h *hub) remove(sub *subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, sub)
}

// subscriptionBuffer is how many notifications may wait for a slow client;
// a subscription that falls further behind is torn down rather than
// silently lose notifications.
const subscriptionBuffer = 64

// publish announces a change to every subscription that asked for it and
// returns how many it reached.
func (h *hub) publish(topic, uri string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for sub := range h.subs {
		if !sub.wants(topic, uri) {
			continue
		}
		msg, err := subscriptionNotification(sub.id, topic, uri)
		if err != nil {
			continue
		}
		select {
		case sub.ch <- msg:
			n++
		default:
			sub.teardown()
		}
	}
	return n
}

func (h *hub) closeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for sub := range h.subs {
		sub.teardown()
	}
}

func isTrue(b *bool) bool { return b != nil && *b }

// subscriptionNotification encodes a notification of a subscription,
// tagged with its ID.
func subscriptionNotification(id wire.RequestID, topic, uri string) ([]byte, error) {
	tag := &wire.NotificationMetaObject{SubscriptionID: id}
	var n any
	switch topic {
	case topicTools:
		n = wire.ToolListChangedNotification{JSONRPC: wire.JSONRPCVersion, Method: "notifications/tools/list_changed", Params: &wire.NotificationParams{Meta: tag}}
	case topicPrompts:
		n = wire.PromptListChangedNotification{JSONRPC: wire.JSONRPCVersion, Method: "notifications/prompts/list_changed", Params: &wire.NotificationParams{Meta: tag}}
	case topicResources:
		n = wire.ResourceListChangedNotification{JSONRPC: wire.JSONRPCVersion, Method: "notifications/resources/list_changed", Params: &wire.NotificationParams{Meta: tag}}
	default:
		n = wire.ResourceUpdatedNotification{JSONRPC: wire.JSONRPCVersion, Method: "notifications/resources/updated", Params: wire.ResourceUpdatedNotificationParams{Meta: tag, URI: uri}}
	}
	return wire.Marshal(n)
}

// listenURIBytes is the average length of URI a listen may name: the URIs
// of one listen total at most MaxListenURIs times this many bytes.
const listenURIBytes = 256

// checkListenURIs bounds the resource URIs of one listen.
func (s *Server) checkListenURIs(uris []string) *rpcError {
	if len(uris) > s.cfg.MaxListenURIs {
		return errBadParams("notifications.resourceSubscriptions names %d URIs; the limit is %d per listen (Config.MaxListenURIs)", len(uris), s.cfg.MaxListenURIs)
	}
	n, limit := 0, s.cfg.MaxListenURIs*listenURIBytes
	for _, u := range uris {
		n += len(u)
	}
	if n > limit {
		return errBadParams("notifications.resourceSubscriptions holds %d bytes of URIs; the limit is %d per listen (Config.MaxListenURIs times %d)", n, limit, listenURIBytes)
	}
	return nil
}

// keepAliver is a sink that can send a transport-level keep-alive.
type keepAliver interface {
	keepAlive() error
}

func serveListen(x *exchange) ([]byte, *rpcError) {
	p := x.params.(*listenParams)
	if x.out == nil {
		return nil, &rpcError{code: wire.CodeInvalidRequest, msg: "Invalid Request: subscriptions/listen answers with an event stream; send Accept: text/event-stream", status: 406}
	}
	if err := checkListenTasks(x, p.Notifications); err != nil {
		return nil, err
	}
	if err := x.s.checkListenURIs(p.Notifications.ResourceSubscriptions); err != nil {
		return nil, err
	}
	if err := x.s.listens.take(x.principal, 1); err != nil {
		return nil, err
	}
	defer x.s.listens.give(x.principal, 1)
	// Honor what this server supports: every list-changed type, and updates
	// of the resources it has. Types not asked for (absent or false) are
	// not acknowledged.
	t := true
	var f wire.SubscriptionFilter
	if isTrue(p.Notifications.ToolsListChanged) {
		f.ToolsListChanged = &t
	}
	if isTrue(p.Notifications.PromptsListChanged) {
		f.PromptsListChanged = &t
	}
	if isTrue(p.Notifications.ResourcesListChanged) {
		f.ResourcesListChanged = &t
	}
	uris := map[string]bool{}
	for _, u := range p.Notifications.ResourceSubscriptions {
		if res, _ := x.s.reg.findResourceFor(x.principal, u); res != nil && !uris[u] {
			uris[u] = true
			f.ResourceSubscriptions = append(f.ResourceSubscriptions, u)
		}
	}
	sub := &subscription{id: x.id, filter: f, uris: uris, ch: make(chan []byte, subscriptionBuffer), done: make(chan struct{})}
	if !x.s.hub.add(sub) {
		return nil, errInternal("the server is shutting down")
	}
	defer x.s.hub.remove(sub)

	tag := &wire.NotificationMetaObject{SubscriptionID: x.id}
	if x.notify(wire.SubscriptionsAcknowledgedNotification{JSONRPC: wire.JSONRPCVersion, Method: "notifications/subscriptions/acknowledged",
		Params: wire.SubscriptionsAcknowledgedNotificationParams{Meta: tag, Notifications: f}}) != nil {
		return nil, errGone
	}
	ka, _ := x.out.(keepAliver)
	var tick <-chan time.Time
	if ka != nil {
		t := time.NewTicker(x.s.cfg.KeepAlive)
		defer t.Stop()
		tick = t.C
	}
	closing := x.closing
	for {
		select {
		case msg := <-sub.ch:
			if x.out.send(msg) != nil {
				return nil, errGone
			}
		case <-tick:
			if ka.keepAlive() != nil {
				return nil, errGone
			}
		case <-x.ctx.Done():
			return nil, errGone
		case <-closing:
			sub.teardown()
			closing = nil
		case <-sub.done:
			// Teardown by the server: say so, then end gracefully.
			if x.notify(wire.CancelledNotification{JSONRPC: wire.JSONRPCVersion, Method: "notifications/cancelled",
				Params: wire.CancelledNotificationParams{Meta: tag, RequestID: x.id, Reason: "the server closed the subscription"}}) != nil {
				return nil, errGone
			}
			return encode(&wire.SubscriptionsListenResult{ResultType: wire.ResultComplete,
				Meta: &wire.SubscriptionsListenResultMetaObject{ServerInfo: &x.s.serverInfo, SubscriptionID: x.id}})
		}
	}
}

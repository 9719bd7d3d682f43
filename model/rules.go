package model

import (
	"slices"

	"github.com/mcpverify/mcpverify/spec"
)

// phase says what a rule does with an exchange.
type phase uint8

const (
	// learn records what the server declared (versions, capabilities,
	// tools and their annotations, names), for later exchanges and for
	// the judging rules after it in this one; it may judge what it learns
	// from (an invalid annotation).
	learn phase = iota
	// judge reports violations and the requirements judged.
	judge
)

// rule is one row of the rule table: the spec page it states, what it
// does, the requirements it may judge or report, the condition under
// which it runs, and the check. A rule reports no requirement outside its
// ids (TestRuleIDs).
type rule struct {
	page  string // under docs/specification/2026-07-28/
	name  string
	phase phase
	ids   []spec.ID
	when  func(*ctx) bool
	check func(*ctx)
}

// rules is the model's rule table, in the order Step runs them on each
// exchange. The order is part of the model: a rule that learns from an
// exchange (server/discover's capabilities, tools/list's annotations)
// runs before the rules that judge the same exchange by what it learnt,
// and schema validation runs last, where it can tell a defect another
// rule already explained from a new one. The functions live in one file
// per spec page.
var rules = []rule{
	// server/utilities/caching.mdx (caching.go)
	{page: "server/utilities/caching.mdx", name: "cache hints", phase: judge, when: isCompleteCacheable, check: checkCacheHints,
		ids: []spec.ID{spec.CoreCacheHints, spec.CoreCacheScopePages, spec.CoreCacheTtl}},

	// basic/index.mdx, transports and versioning: the request's defects and
	// the envelope (envelope.go, request.go).
	{page: "basic/index.mdx", name: "request outcome", phase: judge, when: (*ctx).sentSomething, check: checkRequestOutcome,
		ids: []spec.ID{spec.CoreErrorCodeMeaning, spec.CoreInvalidRequest, spec.CoreLogInvalidLevel, spec.CoreMetaRequired, spec.CoreMethodNotFound, spec.CoreParseError, spec.CoreVersionUnsupported,
			spec.HttpHeaderBase64, spec.HttpHeaderInvalid, spec.HttpHeaderMismatch, spec.HttpHeaderNameCase, spec.HttpHeaderRequired, spec.HttpMetaStatus, spec.HttpMethodNotFound,
			spec.HttpParamAbsent, spec.HttpParamMismatch, spec.HttpParamMissing, spec.HttpParamNumeric, spec.HttpVersionHeaderMissing, spec.HttpVersionMismatch, spec.HttpVersionUnsupported}},
	{page: "basic/index.mdx", name: "replies are messages", phase: judge, check: checkRepliesAreMessages,
		ids: []spec.ID{spec.CoreMessageJsonrpc, spec.CoreMrtrKeysUnique, spec.StdioStdout, spec.StdioNewlines, spec.CoreMessageUtf8,
			spec.CoreErrorShape, spec.CoreErrorCodeInteger, spec.CoreResultField}},
	{page: "basic/patterns/index.mdx", name: "no server requests", phase: judge, check: checkNoServerRequests,
		ids: []spec.ID{spec.CoreNoServerRequests, spec.StdioNoRequests, spec.HttpSseNoRequests, spec.CoreMrtrPattern, spec.CoreNotificationNoId}},
	{page: "basic/index.mdx", name: "response id", phase: judge, when: (*ctx).isRequest, check: checkResponseID,
		ids: []spec.ID{spec.CoreResponseId, spec.CoreResponseIdLarge}},
	{page: "basic/index.mdx", name: "one response", phase: judge, when: (*ctx).isRequest, check: checkOneResponse,
		ids: []spec.ID{spec.CoreMessageJsonrpc}},
	{page: "basic/index.mdx", name: "notification unanswered", phase: judge, when: (*ctx).isNotification, check: checkNotificationUnanswered,
		ids: []spec.ID{spec.CoreNotificationNoResponse}},
	{page: "basic/index.mdx", name: "result type", phase: judge, when: hasResult, check: checkResultType,
		ids: []spec.ID{spec.CoreResultType, spec.CoreResultTypeKnown}},
	{page: "basic/index.mdx", name: "error codes", phase: judge, when: hasError, check: checkErrorCode,
		ids: []spec.ID{spec.CoreCapabilityRequired, spec.CoreErrorCodeLegacy, spec.CoreErrorCodeLegacyRange, spec.CoreErrorCodeMeaning, spec.CoreErrorCodeReserved, spec.CoreErrorCodeAppRange,
			spec.CoreInitializeVersions, spec.CoreVersionUnsupported, spec.HttpCapabilityStatus, spec.HttpHeaderMismatch, spec.HttpMethodNotFound, spec.HttpVersionUnsupported}},
	{page: "basic/index.mdx", name: "server info", phase: judge, when: hasResult, check: checkServerInfo,
		ids: []spec.ID{spec.CoreDiscoverServerinfo, spec.CoreServerinfo}},
	{page: "basic/index.mdx", name: "_meta keys", phase: judge, check: checkMetaKeys,
		ids: []spec.ID{spec.CoreMetaKeyFormat, spec.CoreMetaTraceFormat, spec.CoreMetaKeyReverseDns}},
	{page: "basic/versioning.mdx", name: "extension identifiers", phase: judge, when: methodIs("server/discover"), check: checkExtensionIDs,
		ids: []spec.ID{spec.CoreExtensionId}},

	// basic/transports/streamable-http.mdx (http.go)
	{page: "basic/transports/streamable-http.mdx", name: "origin", phase: judge, when: isHTTP, check: checkOrigin,
		ids: []spec.ID{spec.HttpOrigin}},
	{page: "basic/transports/streamable-http.mdx", name: "content type", phase: judge, when: isHTTPRequest, check: checkContentType,
		ids: []spec.ID{spec.HttpContentType}},
	{page: "basic/transports/streamable-http.mdx", name: "notification 202", phase: judge, when: isHTTPNotification, check: checkNotification202,
		ids: []spec.ID{spec.HttpNotification202}},
	{page: "basic/transports/streamable-http.mdx", name: "sse framing", phase: judge, when: isSSE, check: checkSSE,
		ids: []spec.ID{spec.HttpSseNoBuffering, spec.HttpSseTerminate}},
	{page: "basic/transports/streamable-http.mdx", name: "session id", phase: judge, when: isHTTP, check: checkSessionID,
		ids: []spec.ID{spec.HttpSessionId}},
	{page: "basic/transports/streamable-http.mdx", name: "get/delete 405", phase: judge, when: isHTTP, check: checkGetDelete,
		ids: []spec.ID{spec.HttpGetDelete405}},

	// basic/patterns/mrtr.mdx (mrtr.go)
	{page: "basic/patterns/mrtr.mdx", name: "input required", phase: judge, when: isInputRequired, check: checkInputRequired,
		ids: []spec.ID{spec.CoreMrtrCapability, spec.CoreMrtrKinds, spec.CoreMrtrMethods, spec.CoreMrtrNonempty}},

	// server/discover, tools, resources, prompts (primitives.go)
	{page: "server/discover.mdx", name: "learn discover", phase: learn, when: methodIs("server/discover"), check: learnDiscover},
	{page: "server/index.mdx", name: "capability declared", phase: judge, when: hasResult, check: checkCapabilityDeclared,
		ids: []spec.ID{spec.CoreCapabilityDeclared, spec.CoreResourcesCapability, spec.CorePromptsCapability, spec.CoreCompletionCapability}},
	{page: "server/tools.mdx", name: "learn tools", phase: learn, when: methodIs("tools/list"), check: learnTools,
		ids: []spec.ID{spec.HttpXMcpHeader, spec.HttpXMcpHeaderReachable, spec.HttpXMcpHeaderType, spec.HttpXMcpHeaderUnique}},
	{page: "server/index.mdx", name: "learn names", phase: learn, when: hasResult, check: learnNames},
	{page: "server/tools.mdx", name: "list stability", phase: judge, when: hasResult, check: checkListStable,
		ids: []spec.ID{spec.CoreListStable, spec.CorePromptsListStable, spec.CoreResourcesListStable}},
	{page: "server/tools.mdx", name: "output schema", phase: judge, when: methodIs("tools/call"), check: checkOutputSchema,
		ids: []spec.ID{spec.CoreOutputSchema}},
	{page: "server/resources.mdx", name: "resource not found", phase: judge, when: methodIs("resources/read"), check: checkResourceNotFound,
		ids: []spec.ID{spec.CoreResourceNotEmpty, spec.CoreResourceNotFound}},
	{page: "server/tools.mdx", name: "tool content", phase: judge, when: methodIs("tools/call"), check: checkToolContent,
		ids: []spec.ID{spec.CoreToolStructuredText, spec.CoreToolEmbeddedCapability}},
	{page: "server/prompts.mdx", name: "prompt media", phase: judge, when: methodIs("prompts/get"), check: checkPromptMedia,
		ids: []spec.ID{spec.CorePromptMediaEncoding, spec.CorePromptEmbeddedResource}},
	{page: "server/resources.mdx", name: "resource contents", phase: judge, when: hasResult, check: checkResourceContents,
		ids: []spec.ID{spec.CoreResourceBlobEncoding, spec.CoreResourceUriRfc3986}},

	// requestState and state handles (state.go)
	{page: "basic/patterns/mrtr.mdx", name: "request state and handles", phase: judge, when: stateRelevant, check: checkStateAndHandles,
		ids: []spec.ID{spec.StateBindArgs, spec.StateBindExpiry, spec.StateBindPrincipal, spec.StateBindRequest, spec.StateHandleExpiry, spec.StateHandleNotAuth,
			spec.StateHandlePrincipal, spec.StateHandleReleased, spec.StateIntegrity, spec.StateSingleUse}},

	// the tasks extension (tasks.go)
	{page: "seps/2663-tasks-extension.md", name: "tasks", phase: judge, when: tasksRelevant, check: checkTasks,
		ids: []spec.ID{spec.TasksAckEmpty, spec.TasksAuthEach, spec.TasksCreateDeclared, spec.TasksGetPayload, spec.TasksInputKeysUnique, spec.TasksListenUndeclared,
			spec.TasksMethodsUndeclared, spec.TasksNoLegacyCapability, spec.TasksResultTypeComplete, spec.TasksResultTypeTask, spec.TasksTaskShape, spec.TasksTerminalFinal}},

	// the server as OAuth resource server (auth.go)
	{page: "basic/authorization/index.mdx", name: "minted credentials", phase: judge, when: hasCredential, check: checkAuthCase,
		ids: []spec.ID{spec.AuthAudience, spec.AuthAudienceCase, spec.AuthErrorStatus, spec.AuthIatFuture, spec.AuthInvalid401, spec.AuthIssSlash, spec.AuthNoOtherTokens,
			spec.AuthScope403, spec.AuthScopeRefused, spec.AuthTokenQuery, spec.AuthTyp, spec.AuthVerifyAll, spec.CoreNoConnectionContext}},

	// file access after Roots (files.go)
	{page: "server/tools.mdx", name: "file leaks", phase: judge, when: hasFiles, check: checkFileLeaks,
		ids: []spec.ID{spec.FilesToolConfined, spec.FilesResourceTraversal, spec.FilesSymlinkEscape, spec.FilesRootsWiden}},

	// progress, logging, cancellation, subscriptions (utilities.go)
	{page: "basic/patterns/progress.mdx", name: "request-scoped notifications", phase: judge, when: isNonListenRequest, check: checkRequestNotifications,
		ids: []spec.ID{spec.CoreCancelledOnlyListen, spec.CoreLogCapability, spec.CoreLogOptIn, spec.CoreProgressAfterCompletion, spec.CoreProgressIncreasing, spec.CoreProgressToken, spec.CoreStreamRelated}},
	{page: "basic/patterns/subscriptions.mdx", name: "listen stream", phase: judge, when: isListen, check: checkListen,
		ids: []spec.ID{spec.CoreCancelledOnlyListen, spec.CoreListenAck, spec.CoreListenAckFirst, spec.CoreListenFilter, spec.CoreListenSubscriptionId, spec.CoreLogStream, spec.CoreStreamRelated}},
	{page: "basic/patterns/cancellation.mdx", name: "silence after cancel", phase: judge, when: cancelled, check: checkCancelSilence,
		ids: []spec.ID{spec.CoreCancelSilence}},

	// schema.json, last (envelope.go)
	{page: "schema.json", name: "schema", phase: judge, check: checkSchema,
		ids: []spec.ID{spec.CoreMessageSchema, spec.CoreResultSchema, spec.CoreMessageUtf8, spec.CoreErrorShape, spec.CoreErrorCodeInteger, spec.CoreResultField}},
}

// strictRuleIDs makes a rule that judges or reports a requirement outside
// its ids panic (set by the model's tests).
var strictRuleIDs bool

// ruleMay enforces the rule table's ids under strictRuleIDs.
func (c *ctx) ruleMay(id spec.ID) {
	if strictRuleIDs && c.rule != nil && !slices.Contains(c.rule.ids, id) {
		panic("model: rule " + c.rule.name + " judged " + string(id) + ", which its row in the rule table does not list")
	}
}

// RuleIDs returns every requirement some rule of the model may judge or
// report, in the table's order (each once).
func RuleIDs() []spec.ID {
	var out []spec.ID
	for _, r := range rules {
		for _, id := range r.ids {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

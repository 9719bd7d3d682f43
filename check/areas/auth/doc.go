// Package auth checks the server as an OAuth resource server
// (basic/authorization, security_best_practices): its Protected Resource
// Metadata and its 401 challenge (auth/metadata); the tokens of an
// authority the checker controls (Options.Authority, the mock
// authorization server of check/authmock), one defect each, judged by the
// model from the case each request records (auth/tokens); the scopes the
// server challenges for (auth/scopes); and the tokens it passes on to an
// upstream service (auth/passthrough, Options.Upstream).
package auth

import (
	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// httpOnly is the Needs of the auth checks: the Authorization
// specification is for HTTP; a stdio server takes its credentials from
// its environment.
func httpOnly(e *check.Env) string {
	if e.Transport() == wire.Stdio {
		return "a stdio server takes its credentials from its environment and does not follow the Authorization specification (STDIO-NO-OAUTH): the AUTH- requirements are for servers on HTTP"
	}
	return ""
}

package cli

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/authmock"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/trace"
)

// The default run checks two embedded reference servers: the one of the
// fixed static tokens (every check but auth/), and one in issuer mode that
// trusts an in-memory mock authorization server (the auth/ checks, with
// the mock as their authority). Neither opens a port.

// authChecks returns the auth/ checks among names (nil: every check).
func authChecks(names []string) []string {
	var out []string
	for _, c := range check.Checks() {
		if !strings.HasPrefix(c.Name, "auth/") {
			continue
		}
		if names == nil || slices.Contains(names, c.Name) {
			out = append(out, c.Name)
		}
	}
	return out
}

// referenceIssuerResource is the canonical URI of the in-process target.
const referenceIssuerResource = "http://127.0.0.1:8080/mcp"

// issuerReference is the reference server in issuer mode, trusting an
// in-memory mock authorization server, and the mock's tokens of alice
// (the client) and bob (the second principal) with every scope the
// reference knows. close releases both.
type issuerReference struct {
	srv        *impl.Server
	mock       *authmock.Server
	alice, bob http.Header
}

func newIssuerReference() (*issuerReference, error) {
	m, err := authmock.New(authmock.Options{InMemory: true})
	if err != nil {
		return nil, err
	}
	srv, err := impl.New(impl.Config{Issuer: m.Issuer(), Resource: referenceIssuerResource, IssuerTransport: m.Transport()})
	if err != nil {
		m.Close()
		return nil, err
	}
	r := &issuerReference{srv: srv, mock: m}
	scope := impl.ScopeTools + " " + impl.ScopeTransfer
	for _, p := range []struct {
		sub string
		h   *http.Header
	}{{authmock.Alice, &r.alice}, {authmock.Bob, &r.bob}} {
		tok, err := m.Token(p.sub, referenceIssuerResource, scope)
		if err != nil {
			r.close()
			return nil, err
		}
		*p.h = bearer(tok)
	}
	return r, nil
}

func (r *issuerReference) close() {
	r.srv.Close()
	r.mock.Close()
}

// runAuthReference runs the auth checks named by names against the
// reference server in issuer mode (newIssuerReference).
func runAuthReference(ctx context.Context, base check.Options, names []string, limits target.Limits) (*check.Report, error) {
	ir, err := newIssuerReference()
	if err != nil {
		return nil, err
	}
	defer ir.close()
	opts := base
	opts.Client.Header, opts.AltHeader = ir.alice, ir.bob
	opts.Only, opts.Exact, opts.Authority = names, true, ir.mock
	opts.Budget = min(opts.Budget, 30*time.Second)
	t := target.InProcess(ir.srv.Handler(), limits)
	defer t.Close()
	return check.Run(ctx, t, opts)
}

// mintedTrace reports whether a trace holds requests with credentials
// the checker minted (an auth check's trace): its replay needs an
// authority to mint them again.
func mintedTrace(tr *trace.Trace) bool {
	if strings.HasPrefix(tr.Get("check"), "auth/") {
		return true
	}
	for _, ex := range tr.Exchanges {
		if ex.Credential != nil {
			return true
		}
	}
	return false
}

// mergeAuth puts the results of the issuer-mode run in place of the
// static-token run's results of the same requirements (those the auth
// checks decide), and adds up what the runs counted.
func mergeAuth(rep, auth *check.Report) {
	decided := map[string]bool{}
	for _, r := range auth.Results {
		if strings.HasPrefix(r.Check, "auth/") || strings.HasPrefix(string(r.ID), "AUTH-") {
			decided[string(r.ID)] = true
		}
	}
	out := rep.Results[:0]
	for _, r := range rep.Results {
		if !decided[string(r.ID)] {
			out = append(out, r)
		}
	}
	for _, r := range auth.Results {
		if decided[string(r.ID)] {
			out = append(out, r)
		}
	}
	rep.Results = out
	rep.Exchanges += auth.Exchanges
	rep.Judgments += auth.Judgments
	rep.Duration += auth.Duration
	for k, v := range auth.CheckTimes {
		if rep.CheckTimes == nil {
			rep.CheckTimes = map[string]time.Duration{}
		}
		rep.CheckTimes[k] += v
	}
	if rep.Incomplete == "" && auth.Incomplete != "" {
		rep.Incomplete = fmt.Sprintf("the issuer-mode reference run: %s", auth.Incomplete)
	}
	rep.Interrupted = rep.Interrupted || auth.Interrupted
}

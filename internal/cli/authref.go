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

// runAuthReference runs the auth checks named by names against the
// reference server in issuer mode, trusting an in-memory mock, as alice
// and bob with the mock's tokens.
func runAuthReference(ctx context.Context, base check.Options, names []string, limits target.Limits) (*check.Report, error) {
	m, err := authmock.New(authmock.Options{InMemory: true})
	if err != nil {
		return nil, err
	}
	defer m.Close()
	srv, err := impl.New(impl.Config{Issuer: m.Issuer(), Resource: referenceIssuerResource, IssuerTransport: m.Transport()})
	if err != nil {
		return nil, err
	}
	defer srv.Close()
	scope := impl.ScopeTools + " " + impl.ScopeTransfer
	mint := func(sub string) (http.Header, error) {
		tok, err := m.Token(sub, referenceIssuerResource, scope)
		return bearer(tok), err
	}
	opts := base
	if opts.Client.Header, err = mint(authmock.Alice); err != nil {
		return nil, err
	}
	if opts.AltHeader, err = mint(authmock.Bob); err != nil {
		return nil, err
	}
	opts.Only, opts.Exact, opts.Authority = names, true, m
	opts.Budget = min(opts.Budget, 30*time.Second)
	t := target.InProcess(srv.Handler(), limits)
	defer t.Close()
	return check.Run(ctx, t, opts)
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

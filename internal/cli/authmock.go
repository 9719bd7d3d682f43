package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check/authmock"
	"github.com/mcpverify/mcpverify/wire"
)

// checkMockAddr accepts a loopback host:port for the mock.
func checkMockAddr(flag, addr string) error {
	if host, _, err := net.SplitHostPort(addr); err != nil || !wire.IsLoopbackHost(host) {
		return fmt.Errorf("%s %q: want a loopback host:port (the mock mints tokens for anyone who asks)", flag, addr)
	}
	return nil
}

// startMock starts the mock authorization server on the loopback addr
// (checkMockAddr), with the signing keys of keysFile when it exists (a
// keysFile that does not exist is created with new keys, so that a
// restart keeps them).
func startMock(e *env, addr, keysFile string, mint bool) (*authmock.Server, error) {
	opts := authmock.Options{Addr: addr, MintEndpoint: mint}
	create := false
	if keysFile != "" {
		_, err := os.Stat(keysFile)
		switch {
		case errors.Is(err, os.ErrNotExist):
			create = true
		case err != nil:
			return nil, fmt.Errorf("keys: %w", err)
		default:
			opts.KeysFile = keysFile
		}
	}
	s, err := authmock.New(opts)
	if err != nil {
		return nil, err
	}
	if create {
		if err := s.SaveKeys(keysFile); err != nil {
			s.Close()
			return nil, fmt.Errorf("keys: %w", err)
		}
		fmt.Fprintf(e.stderr, "mcpverify: new signing keys written to %s\n", keysFile)
	}
	return s, nil
}

// mockCredentials mints the access tokens of the two principals, alice
// and bob, for the MCP server at resource, with every scope its Protected
// Resource Metadata lists (none when it publishes none).
func mockCredentials(ctx context.Context, s *authmock.Server, resource string) (alice, bob http.Header, err error) {
	scope := strings.Join(resourceScopes(ctx, resource), " ")
	mint := func(sub string) (http.Header, error) {
		tok, err := s.Mint(authmock.Claims{Subject: sub, Resource: resource, Scope: scope}, authmock.None)
		if err != nil {
			return nil, err
		}
		return http.Header{"Authorization": {"Bearer " + tok}}, nil
	}
	if alice, err = mint(authmock.Alice); err != nil {
		return nil, nil, err
	}
	bob, err = mint(authmock.Bob)
	return alice, bob, err
}

// resourceScopes reads scopes_supported from the Protected Resource
// Metadata of resource (RFC 9728: the path-suffixed well-known URI, then
// the root one), bounded in time and size; nil when there is none.
func resourceScopes(ctx context.Context, resource string) []string {
	u, err := url.Parse(resource)
	if err != nil {
		return nil
	}
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, p := range []string{"/.well-known/oauth-protected-resource" + strings.TrimSuffix(u.Path, "/"), "/.well-known/oauth-protected-resource"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.Scheme+"://"+u.Host+p, nil)
		if err != nil {
			return nil
		}
		resp, err := c.Do(req)
		if err != nil {
			continue
		}
		var md struct {
			Scopes []string `json:"scopes_supported"`
		}
		err = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&md)
		resp.Body.Close()
		if err == nil && resp.StatusCode == http.StatusOK {
			return md.Scopes
		}
	}
	return nil
}

// withCredentials adds the client's credentials (an Authorization header)
// unless --header gives an Authorization, and the second principal's
// unless --alt-header gives them.
func withCredentials(hdr, alt, client, second http.Header) (http.Header, http.Header) {
	if _, ok := wire.HeaderValue(hdr, "Authorization"); !ok {
		hdr = hdr.Clone()
		if hdr == nil {
			hdr = http.Header{}
		}
		hdr["Authorization"] = client["Authorization"]
	}
	if len(alt) == 0 {
		alt = second
	}
	return hdr, alt
}

// withMock starts the mock (startMock) and adds its tokens for resource
// to the client's and the second principal's headers (withCredentials).
// The caller closes the mock.
func withMock(e *env, addr, keysFile, resource string, hdr, alt http.Header) (*authmock.Server, http.Header, http.Header, error) {
	m, err := startMock(e, addr, keysFile, false)
	if err != nil {
		return nil, nil, nil, err
	}
	a, b, err := mockCredentials(e.ctx, m, resource)
	if err != nil {
		m.Close()
		return nil, nil, nil, err
	}
	hdr, alt = withCredentials(hdr, alt, a, b)
	return m, hdr, alt, nil
}

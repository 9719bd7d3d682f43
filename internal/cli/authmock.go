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

	"github.com/mcpverify/mcpverify/check"
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
func startMock(e *env, addr, keysFile, caFile string, mint bool) (*authmock.Server, error) {
	opts := authmock.Options{Addr: addr, MintEndpoint: mint, TLS: caFile != "", CAFile: caFile}
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

// authServices are a run's mock authorization server and upstream probe
// (--auth-mock, --upstream-probe), started before the target, so that a
// server --command starts can be pointed at them: {issuer} and
// {upstream} in its command line become their URLs.
type authServices struct {
	mock  *authmock.Server
	probe *authmock.UpstreamProbe
}

// startAuthServices starts the mock on mockAddr (if set, with the keys of
// keysFile) and the upstream probe on probeAddr (if set; on a free port
// when only the mock is), and records their URLs in tf for --command.
func startAuthServices(e *env, tf *targetFlags, mockAddr, keysFile, caFile, probeAddr string) (*authServices, error) {
	s := &authServices{}
	if probeAddr == "" && mockAddr != "" {
		probeAddr = "127.0.0.1:0"
	}
	if probeAddr != "" {
		p, err := authmock.NewUpstreamProbe(probeAddr)
		if err != nil {
			return nil, fmt.Errorf("--upstream-probe: %w", err)
		}
		s.probe = p
		tf.substitute("{upstream}", p.URL())
		fmt.Fprintf(e.stderr, "mcpverify: upstream probe at %s\n", p.URL())
	}
	if mockAddr != "" {
		m, err := startMock(e, mockAddr, keysFile, caFile, false)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("--auth-mock: %w", err)
		}
		s.mock = m
		tf.substitute("{issuer}", m.Issuer())
		if caFile != "" {
			tf.substitute("{ca}", caFile)
			fmt.Fprintf(e.stderr, "mcpverify: the mock serves https; its certificate authority is in %s\n", caFile)
		}
	}
	return s, nil
}

func (s *authServices) close() {
	if s.mock != nil {
		s.mock.Close()
	}
	if s.probe != nil {
		s.probe.Close()
	}
}

// authority and upstream are the run's (nil when not started).
func (s *authServices) authority() check.Authority {
	if s.mock == nil {
		return nil
	}
	return s.mock
}

func (s *authServices) upstream() check.Upstream {
	if s.probe == nil {
		return nil
	}
	return s.probe
}

// credentials adds the mock's tokens for resource to the client's and the
// second principal's headers (withCredentials); the server must be up
// (the tokens carry the scopes its metadata lists).
func (s *authServices) credentials(e *env, resource string, hdr, alt http.Header) (http.Header, http.Header, error) {
	if s.mock == nil {
		return hdr, alt, nil
	}
	a, b, err := mockCredentials(e.ctx, s.mock, resource)
	if err != nil {
		return nil, nil, fmt.Errorf("--auth-mock: %w", err)
	}
	fmt.Fprintf(e.stderr, "mcpverify: tokens of the mock authorization server %s for %s (alice as the client, bob as the second principal)\n", s.mock.Issuer(), resource)
	hdr, alt = withCredentials(hdr, alt, a, b)
	return hdr, alt, nil
}

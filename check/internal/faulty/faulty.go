// Package faulty holds deliberately broken variants of the reference
// server, each with exactly one defect, for the checker's self-test: each
// variant must make the checker fail (or warn on) the requirement it
// breaks, for the right reason, while the correct server passes.
//
// Most variants wrap the reference server's handler with a middleware that
// introduces the defect (rewriting a request before the server sees it, or
// a response after); a few serve answers of their own.
package faulty

import (
	"fmt"
	"net/http"
	"sort"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// Variant is one broken server.
type Variant struct {
	// Name is unique, e.g. "header-only-version-check".
	Name string
	// Defect says what is broken, in a sentence.
	Defect string
	// Breaks are the requirements the checker must report as failed (or
	// warned, for SHOULD and HARDENING) against this variant.
	Breaks []spec.ID
	// Only, if set, limits the self-test run to the checks whose names
	// have one of these prefixes (keeps the self-test fast); the checker's
	// verdict must still name Breaks.
	Only []string
	// Wrap returns the broken handler around the reference server's
	// handler (next) and the server itself.
	Wrap func(next http.Handler, srv *impl.Server) http.Handler
	// Config, if set, configures the reference server the variant wraps
	// (e.g. a small PageSize, so that lists have several pages); nil means
	// impl.Config{}.
	Config *impl.Config
	// Misconfigure, if set, edits the configuration of the variant's own
	// server, not of its reference (Config configures both): a defect of
	// configuration, such as a limit set too high.
	Misconfigure func(*impl.Config)
	// Stdio, if set, makes the variant a stdio server instead: it runs the
	// broken server loop (see the stdio variants); Wrap is then unused.
	Stdio func(srv *impl.Server) StdioServer
	// WrapDir, in place of Wrap, makes a variant of the reference told to
	// use one directory (Config.AllowedDirs), which it is given: build it
	// with HandlerIn.
	WrapDir func(next http.Handler, srv *impl.Server, dir string) http.Handler
	// auth, set on the token variants, makes Wrap for an AuthSetup (Wrap
	// is the one for the self-test's).
	auth authWrap
}

// StdioServer is a broken stdio server loop.
type StdioServer interface {
	Serve(in StdinReader, out StdoutWriter) error
}

// StdinReader and StdoutWriter are the process's standard streams.
type (
	StdinReader  = interface{ Read([]byte) (int, error) }
	StdoutWriter = interface{ Write([]byte) (int, error) }
)

var variants = map[string]*Variant{}

// Register adds a variant (from the init of a file of variants).
func Register(v *Variant) {
	if variants[v.Name] != nil {
		panic("faulty: two variants named " + v.Name)
	}
	if len(v.Breaks) == 0 {
		panic("faulty: variant " + v.Name + " breaks nothing")
	}
	if (v.Wrap != nil) == (v.WrapDir != nil) && v.Stdio == nil {
		panic("faulty: variant " + v.Name + " needs one of Wrap and WrapDir")
	}
	variants[v.Name] = v
}

// All returns every variant, sorted by name.
func All() []*Variant {
	out := make([]*Variant, 0, len(variants))
	for _, v := range variants {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Lookup returns the variant named name.
func Lookup(name string) (*Variant, error) {
	v := variants[name]
	if v == nil {
		return nil, fmt.Errorf("no faulty variant named %q", name)
	}
	return v, nil
}

// Handler builds the variant's HTTP handler around a fresh reference
// server, for the self-test (HandlerFor with the zero Setup).
func (v *Variant) Handler() (http.Handler, *impl.Server, error) {
	if v.WrapDir != nil {
		return nil, nil, fmt.Errorf("faulty: variant %s needs a directory: use HandlerIn", v.Name)
	}
	return v.HandlerFor(Setup{})
}

// NeedsDir reports whether the variant is built with HandlerIn.
func (v *Variant) NeedsDir() bool { return v.WrapDir != nil }

// NeedsIssuer reports whether the variant is the reference in issuer
// mode: its client needs tokens of an authorization server it trusts
// (Setup.Auth).
func (v *Variant) NeedsIssuer() bool { return v.Config != nil && v.Config.Issuer != "" }

// HandlerIn builds the handler of a variant told to use dir (and its
// reference, ReferenceIn, configured alike).
func (v *Variant) HandlerIn(dir string) (http.Handler, *impl.Server, error) {
	return v.HandlerFor(Setup{Dir: dir})
}

// Setup is where a variant is served. Its zero value is the self-test's:
// no directory, and an issuer-mode variant at the in-process target's
// URL, trusting AuthMock in memory.
type Setup struct {
	// Dir is the directory the variant is told to use (required by
	// NeedsDir variants; others given one serve it too).
	Dir string
	// Auth, if its Issuer is set, is the authorization server an
	// issuer-mode variant (NeedsIssuer) trusts and its canonical URI.
	Auth AuthSetup
}

// HandlerFor builds the variant's HTTP handler around a fresh reference
// server configured as s says.
func (v *Variant) HandlerFor(s Setup) (http.Handler, *impl.Server, error) {
	if v.Stdio != nil {
		return nil, nil, fmt.Errorf("faulty: variant %s is a stdio server", v.Name)
	}
	if v.NeedsDir() && s.Dir == "" {
		return nil, nil, fmt.Errorf("faulty: variant %s needs a directory", v.Name)
	}
	cfg, wrap := v.config(), v.Wrap
	if s.Dir != "" {
		cfg.AllowedDirs = []string{s.Dir}
	}
	if v.NeedsIssuer() && s.Auth.Issuer != "" {
		cfg.Issuer, cfg.Resource, cfg.IssuerTransport = s.Auth.Issuer, s.Auth.Resource, s.Auth.Transport
		if v.auth != nil {
			cfg.Tokens = tokenConfig(s.Auth).Tokens
			wrap = v.auth(s.Auth)
		}
	}
	if v.Misconfigure != nil {
		v.Misconfigure(&cfg)
	}
	srv, err := impl.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	if v.WrapDir != nil {
		return v.WrapDir(srv.Handler(), srv, s.Dir), srv, nil
	}
	return wrap(srv.Handler(), srv), srv, nil
}

// ReferenceIn is the reference server configured as the variant, told to
// use dir.
func (v *Variant) ReferenceIn(dir string) (*impl.Server, error) {
	cfg := v.config()
	cfg.AllowedDirs = []string{dir}
	return impl.New(cfg)
}

func (v *Variant) config() impl.Config {
	if v.Config != nil {
		return *v.Config
	}
	return impl.Config{}
}

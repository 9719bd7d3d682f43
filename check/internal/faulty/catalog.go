package faulty

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// Kind says how a server of the catalog is served and checked.
type Kind string

const (
	// KindHTTP: Streamable HTTP, nothing more needed.
	KindHTTP Kind = "http"
	// KindStdio: a stdio server.
	KindStdio Kind = "stdio"
	// KindHostile: a hostile HTTP server (Hostile), discovery served by
	// the reference.
	KindHostile Kind = "hostile"
	// KindDir: an HTTP variant told to use a directory (Setup.Dir).
	KindDir Kind = "needs-dir"
	// KindIssuer: the reference in issuer mode (Setup.Auth): the client
	// presents the tokens of an authorization server it trusts.
	KindIssuer Kind = "needs-issuer"
	// KindPrincipals: a state variant, which requires the bearer tokens
	// of two principals (StateAliceToken, StateBobToken).
	KindPrincipals Kind = "needs-principals"
)

// Reference is the catalog name of the unbroken reference server.
const Reference = "reference"

// Entry is one server of the catalog: the reference, a variant (All,
// ProcessVariants, StateVariants) or a hostile server.
type Entry struct {
	Name   string
	Kind   Kind
	Defect string
	// Breaks are the requirements the checker must report broken (none
	// for the reference and the hostile servers).
	Breaks []spec.ID
	// StateTTLMax is the lifetime to give the checker (a state variant's).
	StateTTLMax time.Duration

	variant *Variant
	hostile *HostileServer
}

// Catalog returns every server by which faultyserve serves: the
// reference first, then the variants and the hostile servers, sorted by
// name.
func Catalog() []Entry {
	var out []Entry
	for _, v := range append(All(), ProcessVariants()...) {
		out = append(out, Entry{Name: v.Name, Kind: v.kind(), Defect: v.Defect, Breaks: v.Breaks, variant: v})
	}
	for _, sv := range StateVariants() {
		out = append(out, Entry{Name: sv.Name, Kind: KindPrincipals, Defect: sv.Defect, Breaks: sv.Breaks, StateTTLMax: sv.StateTTLMax, variant: &sv.Variant})
	}
	for _, h := range Hostile() {
		out = append(out, Entry{Name: h.Name, Kind: KindHostile, Defect: h.What, hostile: h})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	ref := Entry{Name: Reference, Kind: KindHTTP, Defect: "none: the reference server"}
	return append([]Entry{ref}, out...)
}

// Find returns the catalog entry named name.
func Find(name string) (Entry, error) {
	for _, e := range Catalog() {
		if e.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("no faulty server named %q (faultyserve -list shows them)", name)
}

func (v *Variant) kind() Kind {
	switch {
	case v.Stdio != nil:
		return KindStdio
	case v.NeedsDir():
		return KindDir
	case v.NeedsIssuer():
		return KindIssuer
	}
	return KindHTTP
}

// HTTPHandler builds the entry's HTTP handler as s says, and the
// reference server behind it (to close after serving). A hostile server
// returns once stop is closed; the reference is configured by s too (a
// directory, an issuer).
func (e Entry) HTTPHandler(s Setup, stop <-chan struct{}) (http.Handler, *impl.Server, error) {
	switch {
	case e.variant != nil:
		return e.variant.HandlerFor(s)
	case e.Kind == KindStdio:
		return nil, nil, fmt.Errorf("%s is a stdio server", e.Name)
	}
	cfg := impl.Config{}
	if s.Dir != "" {
		cfg.AllowedDirs = []string{s.Dir}
	}
	if s.Auth.Issuer != "" {
		cfg.Issuer, cfg.Resource, cfg.IssuerTransport = s.Auth.Issuer, s.Auth.Resource, s.Auth.Transport
	}
	srv, err := impl.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	if e.hostile != nil {
		return e.hostile.Handler(srv.Handler(), stop), srv, nil
	}
	return srv.Handler(), srv, nil
}

// ServeStdio serves the entry (a stdio variant or the reference) on in
// and out until in ends or ctx is done (the reference; a variant serves
// until in ends).
func (e Entry) ServeStdio(ctx context.Context, in io.Reader, out io.Writer) error {
	if e.Name != Reference && (e.variant == nil || e.variant.Stdio == nil) {
		return fmt.Errorf("%s is not a stdio server (kind %s)", e.Name, e.Kind)
	}
	srv, err := impl.New(impl.Config{})
	if err != nil {
		return err
	}
	defer srv.Close()
	if e.variant == nil {
		return srv.ServeStdio(ctx, in, out)
	}
	return e.variant.Stdio(srv).Serve(in, out)
}

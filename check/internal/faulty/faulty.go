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
	// Stdio, if set, makes the variant a stdio server instead: it runs the
	// broken server loop (see the stdio variants); Wrap is then unused.
	Stdio func(srv *impl.Server) StdioServer
	// WrapDir, in place of Wrap, makes a variant of the reference told to
	// use one directory (Config.AllowedDirs), which it is given: build it
	// with HandlerIn.
	WrapDir func(next http.Handler, srv *impl.Server, dir string) http.Handler
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
// server.
func (v *Variant) Handler() (http.Handler, *impl.Server, error) {
	if v.WrapDir != nil {
		return nil, nil, fmt.Errorf("faulty: variant %s needs a directory: use HandlerIn", v.Name)
	}
	srv, err := impl.New(v.config())
	if err != nil {
		return nil, nil, err
	}
	return v.Wrap(srv.Handler(), srv), srv, nil
}

// NeedsDir reports whether the variant is built with HandlerIn.
func (v *Variant) NeedsDir() bool { return v.WrapDir != nil }

// HandlerIn builds the handler of a variant told to use dir (and its
// reference, ReferenceIn, configured alike).
func (v *Variant) HandlerIn(dir string) (http.Handler, *impl.Server, error) {
	srv, err := v.ReferenceIn(dir)
	if err != nil {
		return nil, nil, err
	}
	if v.WrapDir == nil {
		return v.Wrap(srv.Handler(), srv), srv, nil
	}
	return v.WrapDir(srv.Handler(), srv, dir), srv, nil
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

package cli

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/mattn/go-shellwords"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

// targetFlags are the flags that name the server under test, shared by
// check and replay.
type targetFlags struct {
	urls    stringList
	command string
	headers stringList
	// argv is --command split into words (validate).
	argv []string
	// principals makes the embedded reference server require the bearer
	// tokens of two principals (see embeddedCredentials).
	principals bool
	// subst replaces placeholders ({issuer}, {upstream}, {workspace}) in
	// the words of --command.
	subst map[string]string
	// workspace is the directory the embedded reference server is told to
	// use (the sandbox's workspace); "" for none.
	workspace string
}

// launches reports whether --command starts the HTTP server that --url
// names (both given), rather than a stdio server.
func (tf *targetFlags) launches() bool { return tf.argv != nil && len(tf.urls) > 0 }

// substitute makes placeholder stand for value in --command.
func (tf *targetFlags) substitute(placeholder, value string) {
	if tf.subst == nil {
		tf.subst = map[string]string{}
	}
	tf.subst[placeholder] = value
}

// placeholders are the words --command may hold, and the flag that gives
// each its value.
var placeholders = map[string]string{"{issuer}": "--auth-mock", "{ca}": "--auth-mock-tls-ca", "{upstream}": "--upstream-probe or --auth-mock", "{workspace}": "--sandbox"}

// command is --command with its placeholders replaced.
func (tf *targetFlags) commandLine() []string {
	out := make([]string, len(tf.argv))
	for i, w := range tf.argv {
		for p, v := range tf.subst {
			w = strings.ReplaceAll(w, p, v)
		}
		out[i] = w
	}
	return out
}

// checkPlaceholders refuses a placeholder in --command whose service the
// flags do not start (given says which ones they do).
func (tf *targetFlags) checkPlaceholders(given map[string]bool) error {
	for _, w := range tf.argv {
		for p, flag := range placeholders {
			if strings.Contains(w, p) && !given[p] {
				return fmt.Errorf("--command holds %s, which needs %s", p, flag)
			}
		}
	}
	return nil
}

func (tf *targetFlags) register(fs *flagSet) {
	fs.Var(&tf.urls, "url", "an MCP endpoint `URL` to check (Streamable HTTP, http:// or https://); repeat for several instances of one deployment (requests are spread across them)")
	fs.StringVar(&tf.command, "command", "", "check a stdio server: start it with the command line `CMD`, split into words as a POSIX shell does (quotes, backslashes; no variables, pipes or redirections: wrap those in sh -c '...'), e.g. \"mcpverify serve --stdio\"; with --url, CMD starts the HTTP server that URL names ({issuer}, {ca} and {upstream} in it become the mock's issuer URL, its certificate authority file and the upstream probe's URL) and the run waits for its port")
	fs.Var(&tf.headers, "header", "a `\"Name: value\"` header added to every request (e.g. an Authorization bearer token); repeatable")
}

// validate checks the target flags before anything starts: a --url or
// --command given empty (an unset variable) is an error, not the embedded
// server; so are --url and --command together, a URL that is not http or
// https, a command line that does not split, and a malformed --header.
func (tf *targetFlags) validate(fs *flagSet) error {
	commandSet := false
	fs.Visit(func(f *flag.Flag) {
		commandSet = commandSet || f.Name == "command"
	})
	if commandSet {
		argv, err := splitCommand(tf.command)
		if err != nil {
			return err
		}
		tf.argv = argv
	}
	for _, u := range tf.urls {
		if err := checkURL(u); err != nil {
			return err
		}
	}
	if commandSet && len(tf.urls) > 1 {
		return errors.New("--command with --url starts one HTTP server: give one --url")
	}
	_, err := tf.header()
	return err
}

// splitCommand splits a --command line into words as a POSIX shell
// does (go-shellwords, without expanding variables or running command
// substitutions). An empty line, shell operators (;, &, |, <, >) and
// leading variable assignments are refused: mcpverify runs one program,
// without a shell.
func splitCommand(line string) ([]string, error) {
	p := shellwords.NewParser()
	p.ParseEnv, p.ParseBacktick, p.ParseComment = false, false, false
	envs, argv, err := p.ParseWithEnvs(line)
	switch {
	case err != nil:
		return nil, fmt.Errorf("--command %q: %v (unbalanced quotes?)", line, err)
	case p.Position >= 0:
		return nil, fmt.Errorf("--command %q: shell operators (;, &, |, <, >) need a shell: run it as sh -c '...'", line)
	case len(envs) > 0:
		return nil, fmt.Errorf("--command %q: mcpverify runs the command without a shell, which would set %s: run it as \"env %s\"", line, strings.Join(envs, " "), line)
	case len(argv) == 0:
		return nil, fmt.Errorf("--command %q is empty (an unset variable?); to check the embedded reference server, give neither --command nor --url", line)
	}
	return argv, nil
}

// checkURL accepts an absolute http or https URL with a host.
func checkURL(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("--url %q is empty (an unset variable?); to check the embedded reference server, give neither --url nor --command", s)
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("--url %q: %v", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want an http:// or https:// URL with a host, e.g. http://127.0.0.1:8080/mcp", s)
	}
	return nil
}

// header parses the --header flags.
func (tf *targetFlags) header() (http.Header, error) {
	return parseHeaders("--header", tf.headers)
}

// parseHeaders parses "Name: value" flags (nil when there are none): the
// name must be an RFC 9110 token, the value free of control characters
// other than tab (net/http would refuse to send either).
func parseHeaders(flagName string, list []string) (http.Header, error) {
	if len(list) == 0 {
		return nil, nil
	}
	h := http.Header{}
	for _, s := range list {
		k, v, ok := strings.Cut(s, ":")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok || k == "":
			return nil, fmt.Errorf("%s %q: want Name: value", flagName, s)
		case !wire.IsToken(k):
			return nil, fmt.Errorf("%s %q: %q is not a valid header name (letters, digits and !#$%%&'*+-.^_`|~, no spaces)", flagName, s, k)
		case strings.ContainsFunc(v, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }):
			return nil, fmt.Errorf("%s %q: the value holds a control character", flagName, s)
		}
		h[k] = append(h[k], v)
	}
	return h, nil
}

// open starts the targets (validate has run): the --url instances, the
// --command process, or the embedded reference server. stop releases
// them.
func (tf *targetFlags) open(e *env, limits target.Limits) (main check.Target, more []check.Target, stop func(), err error) {
	switch {
	case tf.launches():
		argv := tf.commandLine()
		srv, err := target.Launch(argv, tf.urls[0], launchWait, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		fmt.Fprintf(e.stderr, "mcpverify: started %s; checking %s\n", strings.Join(argv, " "), tf.urls[0])
		t := target.NewHTTP(tf.urls[0], limits)
		return t, nil, func() { t.Close(); srv.Close() }, nil
	case tf.argv != nil:
		t, err := target.NewStdio(tf.commandLine(), limits, nil)
		if err != nil {
			return nil, nil, nil, err
		}
		return t, nil, func() { t.Close() }, nil
	case len(tf.urls) > 0:
		var ts []check.Target
		for _, u := range tf.urls {
			ts = append(ts, target.NewHTTP(u, limits))
		}
		return ts[0], ts[1:], func() {
			for _, t := range ts {
				t.Close()
			}
		}, nil
	}
	srv, err := referenceServer(tf.principals, tf.workspace)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("start the reference server: %w", err)
	}
	t := target.InProcess(srv.Handler(), limits)
	fmt.Fprintf(e.stderr, "no --url or --command: the embedded reference server, served in process as %s (no port is opened)\n", t.Describe())
	return t, nil, func() { t.Close(); srv.Close() }, nil
}

// launchWait bounds the wait for a server --command starts to open its
// port.
const launchWait = 15 * time.Second

// The embedded reference server's principals: their bearer tokens. They
// are fixed, so that a trace of a default run replays against a new
// embedded server; the server runs in process, for one run.
const (
	referenceAliceToken = "mcpverify-reference-alice"
	referenceBobToken   = "mcpverify-reference-bob"
)

// referenceStateTTL is the embedded server's requestState lifetime: short,
// so that the default run can present a state after it expired.
const referenceStateTTL = 5 * time.Second

// embeddedCredentials: when the target is the embedded reference server
// (no --url or --command) and want is set, the server requires the bearer
// tokens of two principals, which are added to hdr and alt
// (withReferenceCredentials).
func (tf *targetFlags) embeddedCredentials(want bool, hdr, alt http.Header) (http.Header, http.Header) {
	if !want || len(tf.urls) > 0 || tf.argv != nil {
		return hdr, alt
	}
	tf.principals = true
	return withReferenceCredentials(hdr, alt)
}

// withReferenceCredentials adds the embedded server's credentials: alice's
// token to the client's headers and bob's as the second principal, unless
// the flags give them (withCredentials).
func withReferenceCredentials(hdr, alt http.Header) (http.Header, http.Header) {
	return withCredentials(hdr, alt, bearer(referenceAliceToken), bearer(referenceBobToken))
}

// bearer is an Authorization header with token.
func bearer(token string) http.Header { return http.Header{"Authorization": {"Bearer " + token}} }

// referenceServer is the embedded reference server, served in process
// (told to use workspace, the sandbox's, when it is not "")
// (target.InProcess: no socket is opened). With principals, it has two,
// alice and bob (bearer tokens referenceAliceToken and referenceBobToken),
// and a short requestState lifetime (referenceStateTTL), so that every
// state check, the cross-principal ones and the expiry among them, runs in
// the default run of check.
func referenceServer(principals bool, workspace string) (*impl.Server, error) {
	cfg := impl.Config{}
	if workspace != "" {
		cfg.AllowedDirs = []string{workspace}
	}
	if principals {
		cfg.Tokens = map[string]string{referenceAliceToken: "alice", referenceBobToken: "bob"}
		cfg.StateTTL = referenceStateTTL
	}
	return impl.New(cfg)
}

package model_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
	"pgregory.net/rapid"
)

// stateConfig reads the header fields of a trace that configure the state
// rules (gen_traces.py writes them):
//
//	principals: credential                  Principal = CredentialPrincipal
//	state-ttl-max: 10m                      StateTTLMax
//	single-use: tools/call redeem, ...      SingleUse (method name pairs)
//	state-matters: tools/call transfer, ... StateMatters
//	handles: mint TOOL KIND a/b, use TOOL KIND a, delete TOOL KIND a
//	handle-ttl-max: 1h                      HandleTTLMax
func stateConfig(tr *trace.Trace, cfg *model.Config) {
	if tr.Get("principals") == "credential" {
		cfg.Principal = model.CredentialPrincipal
	}
	cfg.StateTTLMax, _ = time.ParseDuration(orZero(tr.Get("state-ttl-max")))
	cfg.HandleTTLMax, _ = time.ParseDuration(orZero(tr.Get("handle-ttl-max")))
	if set := pairs(tr.Get("single-use")); set != nil {
		cfg.SingleUse = func(m, n string) bool { return set[m+" "+n] }
	}
	if set := pairs(tr.Get("state-matters")); set != nil {
		cfg.StateMatters = func(m, n string) bool { return set[m+" "+n] }
	}
	roles := map[string]model.HandleRole{"mint": model.HandleMint, "use": model.HandleUse, "delete": model.HandleDelete}
	for _, e := range splitList(tr.Get("handles")) {
		f := strings.Fields(e)
		if len(f) == 4 {
			cfg.Handles = append(cfg.Handles, model.HandleTool{Role: roles[f[0]], Tool: f[1], Kind: f[2], Path: strings.Split(f[3], "/")})
		}
	}
}

func orZero(s string) string {
	if s == "" {
		return "0"
	}
	return s
}

func splitList(s string) []string {
	var out []string
	for _, e := range strings.Split(s, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func pairs(s string) map[string]bool {
	list := splitList(s)
	if len(list) == 0 {
		return nil
	}
	set := map[string]bool{}
	for _, e := range list {
		set[strings.Join(strings.Fields(e), " ")] = true
	}
	return set
}

// stateEx builds an HTTP exchange of one request and its JSON answer.
func stateEx(at time.Duration, auth, method string, params map[string]any, id int, result string) *wire.Exchange {
	if params == nil {
		params = map[string]any{}
	}
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    wire.Version,
		"io.modelcontextprotocol/clientCapabilities": map[string]any{"elicitation": map[string]any{}},
	}
	h := map[string][]string{
		"Content-Type":         {"application/json"},
		"Mcp-Protocol-Version": {wire.Version},
		"Mcp-Method":           {method},
		"Host":                 {"127.0.0.1:8080"},
	}
	if name, ok := params["name"].(string); ok {
		h["Mcp-Name"] = []string{name}
	}
	if auth != "" {
		h["Authorization"] = []string{auth}
	}
	body := wire.MustMarshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	return &wire.Exchange{Transport: wire.HTTP, HTTPMethod: "POST", At: at, Header: h, Body: body, Outcome: wire.Complete,
		Status: 200, RespHeader: map[string][]string{"Content-Type": {"application/json"}},
		RespBody: fmt.Appendf(nil, `{"jsonrpc":"2.0","id":%d,"result":%s}`, id, result)}
}

const (
	rmeta    = `"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"s","version":"1"}}`
	okResult = `{"resultType":"complete",` + rmeta + `,"content":[{"type":"text","text":"done"}]}`
)

func irrResult(state string) string {
	return `{"resultType":"input_required",` + rmeta + `,"requestState":` + string(wire.MustMarshal(state)) + `}`
}

func callParams(name string, args map[string]any, state string) map[string]any {
	p := map[string]any{"name": name, "arguments": args}
	if state != "" {
		p["requestState"] = state
		p["inputResponses"] = map[string]any{}
	}
	return p
}

func ids(vs []model.Violation) []spec.ID {
	var out []spec.ID
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

// TestStateCopyOnWrite: Step never changes the State it is called on: a
// single-use state completed once in a later State is still fresh in the
// earlier one, and a state minted later is unknown to it.
func TestStateCopyOnWrite(t *testing.T) {
	cfg := model.Config{SingleUse: func(m, n string) bool { return n == "redeem" }}
	s0 := model.NewState(cfg)
	s1, vs := s0.Step(stateEx(0, "", "tools/call", callParams("redeem", nil, ""), 1, irrResult("S")))
	if len(vs) > 0 {
		t.Fatalf("mint: %v", vs)
	}
	s2, vs := s1.Step(stateEx(time.Second, "", "tools/call", callParams("redeem", nil, "S"), 2, okResult))
	if len(vs) > 0 {
		t.Fatalf("first redemption: %v", vs)
	}
	if _, vs = s1.Step(stateEx(2*time.Second, "", "tools/call", callParams("redeem", nil, "S"), 3, okResult)); len(vs) > 0 {
		t.Errorf("the earlier State saw the later completion: %v", vs)
	}
	if _, vs = s2.Step(stateEx(2*time.Second, "", "tools/call", callParams("redeem", nil, "S"), 3, okResult)); !slices.Equal(ids(vs), []spec.ID{spec.StateSingleUse}) {
		t.Errorf("second redemption: %v; want %s", vs, spec.StateSingleUse)
	}
	if m, known := s0.StateMints("S"); len(m) != 0 || !known {
		t.Errorf("the initial State knows %v (certain %v); want nothing, for certain", m, known)
	}
}

// TestStateMints: the observation behind STATE-INTEGRITY, for a caller that
// decides whether the state matters.
func TestStateMints(t *testing.T) {
	s := model.NewState(model.Config{})
	s, _ = s.Step(stateEx(3*time.Second, "Bearer a", "tools/call", callParams("transfer", map[string]any{"amount": 5, "to": "b"}, ""), 1, irrResult("S")))
	m, known := s.StateMints("S")
	if !known || len(m) != 1 {
		t.Fatalf("StateMints = %v, %v", m, known)
	}
	if m[0].Method != "tools/call" || m[0].Name != "transfer" || m[0].At != 3*time.Second || m[0].Principal != model.CredentialPrincipal("Bearer a") {
		t.Errorf("mint %+v", m[0])
	}
	// Member order and number spelling do not change the digest.
	s2, _ := model.NewState(model.Config{}).Step(stateEx(0, "", "tools/call", map[string]any{"name": "transfer", "arguments": map[string]any{"to": "b", "amount": 5.0}}, 1, irrResult("T")))
	m2, _ := s2.StateMints("T")
	if len(m2) != 1 || m2[0].Args != m[0].Args {
		t.Errorf("argument digests differ for equal arguments: %v vs %v", m2, m)
	}
	if m, known := s.StateMints("S-forged"); len(m) != 0 || !known {
		t.Errorf("a forged state: %v, %v; want none, for certain", m, known)
	}
}

// TestStateForgets: past maxStates the oldest states are forgotten, and an
// unknown state is then uncertain; STATE-INTEGRITY is not judged on it.
func TestStateForgets(t *testing.T) {
	cfg := model.Config{StateMatters: func(string, string) bool { return true }}
	s := model.NewState(cfg)
	for i := range 1100 {
		s, _ = s.Step(stateEx(time.Duration(i)*time.Millisecond, "", "tools/call", callParams("t", nil, ""), i, irrResult(fmt.Sprint("S", i))))
	}
	if m, known := s.StateMints("S0"); len(m) != 0 || known {
		t.Errorf("S0 after 1100 mints: %v, certain %v; want forgotten, uncertain", m, known)
	}
	if m, known := s.StateMints("S1099"); len(m) != 1 || !known {
		t.Errorf("S1099: %v, %v", m, known)
	}
	if _, vs := s.Step(stateEx(2*time.Second, "", "tools/call", callParams("t", nil, "S-forged"), 1, okResult)); len(vs) > 0 {
		t.Errorf("judged a forgery after forgetting: %v", vs)
	}
}

// TestStateIgnoredWhereUnused: a state presented on a request that never
// issues one may be ignored, whoever presents it, however old.
func TestStateIgnoredWhereUnused(t *testing.T) {
	cfg := model.Config{Principal: model.CredentialPrincipal, StateTTLMax: time.Minute, StateMatters: func(_, n string) bool { return n == "t" }}
	s := model.NewState(cfg)
	s, _ = s.Step(stateEx(0, "Bearer a", "tools/call", callParams("t", nil, ""), 1, irrResult("S")))
	if _, vs := s.Step(stateEx(time.Hour, "Bearer b", "tools/call", callParams("echo", nil, "S"), 2, okResult)); len(vs) > 0 {
		t.Errorf("judged a state on a tool that never issues one: %v", vs)
	}
	// The same request by its owner in time: nothing.
	if _, vs := s.Step(stateEx(time.Second, "Bearer a", "tools/call", callParams("t", nil, "S"), 2, okResult)); len(vs) > 0 {
		t.Errorf("a proper retry: %v", vs)
	}
	// All at once: another principal, too late.
	_, vs := s.Step(stateEx(time.Hour, "Bearer b", "tools/call", callParams("t", nil, "S"), 2, okResult))
	if got, want := ids(vs), []spec.ID{spec.StateBindPrincipal, spec.StateBindExpiry}; !slices.Equal(got, want) {
		t.Errorf("got %v; want %v", got, want)
	}
}

// TestStatePrincipalUnknown: without Config.Principal, credentials do not
// bind (the server may not authenticate at all).
func TestStatePrincipalUnknown(t *testing.T) {
	for _, name := range []string{"state-bind-principal", "handle-other-principal", "handle-no-credentials"} {
		tr := loadTrace(t, "testdata/bad/"+name+".txtar")
		var cfg model.Config
		stateConfig(tr, &cfg)
		cfg.Principal = nil
		if vs := model.Check(cfg, tr.Exchanges); len(vs) > 0 {
			t.Errorf("%s without Config.Principal: %v", name, vs)
		}
	}
}

// TestStateJudged: a refused probe is judged (a pass for reports that count
// them); ordinary traffic judges no state rule.
func TestStateJudged(t *testing.T) {
	for name, want := range map[string][]spec.ID{
		"state-bound":   {spec.StateBindRequest, spec.StateBindArgs, spec.StateBindPrincipal, spec.StateBindExpiry, spec.StateSingleUse, spec.StateIntegrity},
		"handles-owner": {spec.StateHandlePrincipal, spec.StateHandleNotAuth, spec.StateHandleReleased, spec.StateHandleExpiry},
	} {
		tr := loadTrace(t, "testdata/ok/"+name+".txtar")
		var cfg model.Config
		stateConfig(tr, &cfg)
		s := model.NewState(cfg)
		judged := map[spec.ID]bool{}
		for _, ex := range tr.Exchanges {
			var ids []spec.ID
			s, _, ids = s.Judge(ex)
			for _, id := range ids {
				judged[id] = true
			}
		}
		for _, id := range want {
			if !judged[id] {
				t.Errorf("%s not judged on %s", id, name)
			}
		}
	}
	s := model.NewState(model.Config{})
	for _, ex := range loadTrace(t, "testdata/ok/basic.txtar").Exchanges {
		var ids []spec.ID
		s, _, ids = s.Judge(ex)
		for _, id := range ids {
			if strings.HasPrefix(string(id), "STATE-") {
				t.Errorf("%s judged on ordinary traffic", id)
			}
		}
	}
}

// TestCredentialPrincipal: anonymous without credentials; distinct
// credentials, distinct names; the credential itself is not kept.
func TestCredentialPrincipal(t *testing.T) {
	a, b := model.CredentialPrincipal("Bearer secret-a"), model.CredentialPrincipal("Bearer secret-b")
	if model.CredentialPrincipal("") != "anonymous" || a == b || a == "anonymous" || strings.Contains(a, "secret") {
		t.Errorf("CredentialPrincipal: %q %q", a, b)
	}
}

// BenchmarkStepState judges requestState and handle traffic with the state
// rules configured: the exchanges of the ok traces state-bound and
// handles-owner after discover and tools/list, from a state that has seen
// none of them (every mint and judgment is done afresh).
func BenchmarkStepState(b *testing.B) {
	for _, name := range []string{"state-bound", "handles-owner"} {
		b.Run(name, func(b *testing.B) {
			tr := loadTrace(&testing.T{}, "testdata/ok/"+name+".txtar")
			var cfg model.Config
			stateConfig(tr, &cfg)
			// From the state after discover and tools/list: every iteration
			// mints and judges afresh.
			s0 := model.NewState(cfg)
			for _, ex := range tr.Exchanges[:2] {
				s0, _ = s0.Step(ex)
			}
			exs := tr.Exchanges[2:]
			for _, ex := range exs {
				model.Prepare(ex)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				s := s0
				for _, ex := range exs {
					s, _ = s.Step(ex)
				}
			}
			b.ReportMetric(float64(b.N*len(exs))/b.Elapsed().Seconds(), "exchanges/s")
		})
	}
}

// TestStateStepsPure: on random requestState and handle traffic with every
// state rule configured, Step is deterministic and never changes the State
// it is called on (stepping an earlier State again gives the same
// violations as the first time), and every violation carries its
// catalog level.
func TestStateStepsPure(t *testing.T) {
	cfg := model.Config{
		Principal:    model.CredentialPrincipal,
		StateTTLMax:  time.Minute,
		SingleUse:    func(_, n string) bool { return n == "t" },
		StateMatters: func(_, n string) bool { return n == "u" },
		Handles: []model.HandleTool{
			{Tool: "create", Role: model.HandleMint, Path: []string{"structuredContent", "id"}},
			{Tool: "use", Role: model.HandleUse, Path: []string{"id"}},
			{Tool: "drop", Role: model.HandleDelete, Path: []string{"id"}},
		},
		HandleTTLMax: time.Minute,
	}
	seen := map[spec.ID]bool{}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 12).Draw(t, "n")
		var exs []*wire.Exchange
		at := time.Duration(0)
		for i := range n {
			at += time.Duration(rapid.IntRange(0, 90).Draw(t, "dt")) * time.Second
			auth := rapid.SampledFrom([]string{"", "Bearer a", "Bearer b"}).Draw(t, "auth")
			tool := rapid.SampledFrom([]string{"t", "u", "echo", "create", "use", "drop"}).Draw(t, "tool")
			args := map[string]any{}
			if tool == "use" || tool == "drop" {
				args["id"] = rapid.SampledFrom([]string{"h1", "h2"}).Draw(t, "handle")
			} else if rapid.Bool().Draw(t, "args") {
				args["x"] = rapid.IntRange(0, 1).Draw(t, "x")
			}
			state := rapid.SampledFrom([]string{"", "S1", "S2"}).Draw(t, "state")
			var result string
			switch rapid.IntRange(0, 3).Draw(t, "answer") {
			case 0:
				result = irrResult(rapid.SampledFrom([]string{"S1", "S2"}).Draw(t, "minted"))
			case 1:
				result = okResult
			case 2:
				result = `{"resultType":"complete",` + rmeta + `,"content":[],"isError":true}`
			case 3:
				id := rapid.SampledFrom([]string{"h1", "h2"}).Draw(t, "newHandle")
				result = `{"resultType":"complete",` + rmeta + `,"content":[],"structuredContent":{"id":"` + id + `"}}`
			}
			exs = append(exs, stateEx(at, auth, "tools/call", callParams(tool, args, state), i+1, result))
		}
		states := []model.State{model.NewState(cfg)}
		var first [][]spec.ID
		for _, ex := range exs {
			next, vs := states[len(states)-1].Step(ex)
			for _, v := range vs {
				if r, ok := spec.Lookup(v.ID); !ok || r.Level != v.Level || v.Got == "" || v.Want == "" {
					t.Fatalf("violation %+v: not as the catalog says", v)
				}
			}
			for _, v := range vs {
				seen[v.ID] = true
			}
			first = append(first, ids(vs))
			states = append(states, next)
		}
		for i, ex := range exs {
			if _, vs := states[i].Step(ex); !slices.Equal(ids(vs), first[i]) {
				t.Fatalf("exchange %d: %v the first time, %v stepping the same State again", i+1, first[i], ids(vs))
			}
		}
	})
	var state []spec.ID
	for id := range seen {
		if strings.HasPrefix(string(id), "STATE-") {
			state = append(state, id)
		}
	}
	slices.Sort(state)
	t.Logf("state rules broken by the random traffic: %v", state)
	if len(state) < 4 {
		t.Errorf("the random traffic broke only %v: too few state rules exercised", state)
	}
}

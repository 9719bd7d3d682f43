package check

import (
	"github.com/mcpverify/mcpverify/wire"
)

// runCampaign sends requests drawn from the model's enabled actions and the
// server's declarations until the budget or MaxExchanges runs out. Every
// exchange is judged by the model; violations are recorded by the judge.
func runCampaign(e *Env) []Verdict {
	c := &Check{Name: "campaign/generated"}
	env := *e
	env.check, env.verdicts, env.evidence = c, nil, nil
	for i := 0; i < e.Opts.MaxExchanges && env.Ctx.Err() == nil; i++ {
		acts := learnEnabled(&env)
		a := acts[env.rng.Intn(len(acts))]
		client := env.Client
		if (a.Method == "tools/call" || a.Method == "prompts/get" || a.Method == "resources/read") && env.rng.Intn(2) == 0 {
			client = withInputCapabilities(client)
		}
		o := env.Send(env.Decl.Build(env.rng, client, env.NextID(), a))
		env.Decl.Learn(o.Ex)
		// Keep the evidence short: a violation's trace is the discovery
		// prefix and the exchanges since the last one that taught nothing.
		if len(env.evidence) > 20 {
			env.evidence = env.evidence[len(env.evidence)-20:]
		}
	}
	return env.verdicts
}

// withInputCapabilities declares every input capability (elicitation,
// sampling, roots), so that MRTR tools can ask for input.
func withInputCapabilities(c Client) Client {
	c.Capabilities = wire.Value(`{"elicitation":{},"sampling":{},"roots":{}}`)
	return c
}

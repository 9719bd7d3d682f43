// Package all registers every check area with the checker's core: import
// it for its side effect where a run should have every check (the CLI,
// the checker's self-test).
package all

import (
	_ "github.com/mcpverify/mcpverify/check/areas/apps"
	_ "github.com/mcpverify/mcpverify/check/areas/auth"
	_ "github.com/mcpverify/mcpverify/check/areas/campaign"
	_ "github.com/mcpverify/mcpverify/check/areas/exposure"
	_ "github.com/mcpverify/mcpverify/check/areas/files"
	_ "github.com/mcpverify/mcpverify/check/areas/handles"
	_ "github.com/mcpverify/mcpverify/check/areas/headers"
	_ "github.com/mcpverify/mcpverify/check/areas/legacy"
	_ "github.com/mcpverify/mcpverify/check/areas/meta"
	_ "github.com/mcpverify/mcpverify/check/areas/mrtr"
	_ "github.com/mcpverify/mcpverify/check/areas/origin"
	_ "github.com/mcpverify/mcpverify/check/areas/results"
	_ "github.com/mcpverify/mcpverify/check/areas/state"
	_ "github.com/mcpverify/mcpverify/check/areas/stateless"
	_ "github.com/mcpverify/mcpverify/check/areas/stdio"
	_ "github.com/mcpverify/mcpverify/check/areas/tasks"
	_ "github.com/mcpverify/mcpverify/check/areas/transport"
	_ "github.com/mcpverify/mcpverify/check/areas/utilities"
	_ "github.com/mcpverify/mcpverify/check/areas/versions"
)

package cli

// Every check area takes part in `mcpverify check`.
import _ "github.com/mcpverify/mcpverify/check/areas/all"

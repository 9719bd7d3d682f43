package selftest_test

// Every check area takes part in the self-test.
import _ "github.com/mcpverify/mcpverify/check/areas/all"

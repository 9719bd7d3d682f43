package selftest_test

import (
	"fmt"
	"os"
	"testing"

	// Every check area takes part in the self-test.
	_ "github.com/mcpverify/mcpverify/check/areas/all"
	"github.com/mcpverify/mcpverify/check/authmock"
)

// upstream is the upstream probe of the auth checks, on loopback. It is
// made here, outside every synctest bubble: a goroutine waiting on a
// socket in a bubble would keep the bubble's clock from advancing.
var upstream *authmock.UpstreamProbe

func TestMain(m *testing.M) {
	p, err := authmock.NewUpstreamProbe("127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	upstream = p
	code := m.Run()
	p.Close()
	os.Exit(code)
}

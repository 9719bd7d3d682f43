package cli

import (
	"fmt"

	"github.com/mcpverify/mcpverify/check/authmock"
)

func init() {
	register(&command{name: "mock-as", summary: "serve a mock OAuth authorization server that mints JWT access tokens, correct or with one defect", run: runMockAS})
}

// runMockAS is `mcpverify mock-as`: it serves the mock authorization
// server on loopback until interrupted, with its minting endpoint:
// GET ISSUER/mint?sub=alice&aud=URL[&defect=NAME][&alg=ES256][&scope=S]
// answers a token as text. The issuer URL is printed on stdout.
func runMockAS(e *env, args []string) int {
	fs := newFlagSet(e, "mock-as", "[--http ADDR] [--keys FILE] | --list-defects")
	addr := fs.String("http", "127.0.0.1:0", "serve on the loopback `ADDR` (host:port); the issuer is http://ADDR")
	keysFile := fs.String("keys", "", "load the signing keys from `FILE`, a JWKS with private keys; a FILE that does not exist is created with new keys, so that a restart keeps them (default: new keys on each run)")
	caFile := fs.String("tls-ca", "", "serve https, with a certificate for 127.0.0.1, ::1 and localhost signed by a certificate authority made at start, whose certificate (PEM) is written to `FILE` for the server under test to trust; the issuer is then https://ADDR")
	list := fs.Bool("list-defects", false, "print the token defects that /mint accepts as defect=NAME, and exit")
	if code := fs.parse(args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return fs.usageError("unexpected argument %q", fs.Arg(0))
	}
	if *list {
		for _, d := range authmock.Defects()[1:] {
			fmt.Fprintf(e.stdout, "%-28s %s\n", d, d.Description())
		}
		return ExitOK
	}
	if err := checkMockAddr("--http", *addr); err != nil {
		return fs.usageError("%v", err)
	}
	s, err := startMock(e, *addr, *keysFile, *caFile, true)
	if err != nil {
		fmt.Fprintf(e.stderr, "mcpverify mock-as: %v\n", err)
		return ExitCannotRun
	}
	defer s.Close()
	fmt.Fprintln(e.stdout, s.Issuer())
	fmt.Fprintf(e.stderr, "mcpverify: mock authorization server, issuer %s (metadata at %s%s)\n", s.Issuer(), s.Issuer(), authmock.MetadataPath)
	fmt.Fprintf(e.stderr, "mcpverify: tokens: GET %s%s?sub=alice&aud=RESOURCE[&defect=NAME][&alg=ES256] (defects: mcpverify mock-as --list-defects)\n", s.Issuer(), authmock.MintPath)
	<-e.ctx.Done()
	return ExitOK
}

// Package authmock is a mock OAuth 2.1 authorization server for the
// checker: it publishes RFC 8414 metadata and a JWKS on a loopback
// listener and mints JWT access tokens (RFC 9068 profile) for an MCP
// server that authenticates with JWTs, either correct ones or ones with
// exactly one defect (a wrong audience, a wrong issuer, an expired token,
// a forged signature, ...).
//
// A server made with Options.InMemory has no listener: it claims an
// issuer URL (by default DefaultInMemoryIssuer) and is reached through
// Transport, a RoundTripper that calls its Handler in memory, e.g. for a
// resource server tested inside a testing/synctest bubble.
//
// A Server holds two signing keys, RSA 2048 (RS256) and EC P-256
// (ES256), generated at New or loaded from a keys file written by
// SaveKeys. Mint signs one token; Cases lists the matrix of requests a
// checker sends to a resource server trusting this issuer, each with the
// outcome the MCP authorization spec expects.
//
// The package imports no check area; check areas and the command line
// may import it.
package authmock

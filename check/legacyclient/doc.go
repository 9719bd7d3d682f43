// Package legacyclient is the client of the handshake era (2025-11-25 and
// earlier): the messages of initialize and of a session, and the reading
// of their answers. It builds and reads; it never sends: the checker's
// discovery and the legacy checks send through check.Env.
package legacyclient

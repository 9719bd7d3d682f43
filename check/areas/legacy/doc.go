// Package legacy checks what a run says about servers of the handshake
// era (2025-11-25 and earlier): the revision a server serves (reported
// once), why modern-only rules are skipped on dual-era servers, and, over
// the legacy session opened during discovery, the checks whose concern
// does not depend on the revision (hostile Origin and Host, tool results
// against their schemas).
package legacy

package wire

import (
	"strings"
)

// Protocol versions.
const (
	// Version is the revision mcpverify implements.
	Version = "2026-07-28"
	// VersionNoHeader is the version a server that supports pre-2025-06-18
	// clients may assume for a request without MCP-Protocol-Version.
	VersionNoHeader = "2025-03-26"
)

// LegacyVersions are the handshake-era revisions (initialize), newest first.
var LegacyVersions = []string{"2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"}

// IsLegacyVersion reports whether v is a known handshake-era revision.
func IsLegacyVersion(v string) bool {
	for _, l := range LegacyVersions {
		if v == l {
			return true
		}
	}
	return false
}

// Reserved _meta keys (basic/index.mdx, "_meta").
const (
	MetaProtocolVersion    = "io.modelcontextprotocol/protocolVersion"
	MetaClientInfo         = "io.modelcontextprotocol/clientInfo"
	MetaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"
	MetaLogLevel           = "io.modelcontextprotocol/logLevel"
	MetaSubscriptionID     = "io.modelcontextprotocol/subscriptionId"
	MetaServerInfo         = "io.modelcontextprotocol/serverInfo"
	MetaProgressToken      = "progressToken"
)

// RequiredRequestMeta are the _meta keys every request must carry; a
// request missing one is malformed (-32602, HTTP 400).
var RequiredRequestMeta = []string{MetaProtocolVersion, MetaClientCapabilities}

// LoggingLevels are the syslog severities of logging.mdx, least severe first.
var LoggingLevels = []string{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"}

// LogLevelRank returns the severity rank of level (0 = debug), or -1 for
// an unknown level.
func LogLevelRank(level string) int {
	for i, l := range LoggingLevels {
		if l == level {
			return i
		}
	}
	return -1
}

// ValidMetaKey reports whether k follows the _meta key naming rules: an
// optional prefix of dot-separated labels followed by '/', then a name that,
// unless empty, begins and ends with an alphanumeric and has only
// alphanumerics, '-', '_' and '.' inside. The OpenTelemetry keys are valid.
func ValidMetaKey(k string) bool {
	prefix, name, hasPrefix := strings.Cut(k, "/")
	if hasPrefix {
		if strings.Contains(name, "/") || prefix == "" {
			return false
		}
		for _, label := range strings.Split(prefix, ".") {
			if !validLabel(label) {
				return false
			}
		}
	} else {
		name = k
	}
	if name == "" {
		return true
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !isAlnum(c) && c != '-' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

// ReservedMetaPrefix reports whether the prefix of k is reserved for MCP:
// its second label is "modelcontextprotocol" or "mcp".
func ReservedMetaPrefix(k string) bool {
	prefix, _, ok := strings.Cut(k, "/")
	if !ok {
		return false
	}
	labels := strings.Split(prefix, ".")
	return len(labels) >= 2 && (labels[1] == "modelcontextprotocol" || labels[1] == "mcp")
}

func validLabel(l string) bool {
	if l == "" || !isAlpha(l[0]) || !isAlnum(l[len(l)-1]) {
		return false
	}
	for i := 0; i < len(l); i++ {
		if !isAlnum(l[i]) && l[i] != '-' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isAlnum(c byte) bool { return isAlpha(c) || c >= '0' && c <= '9' }

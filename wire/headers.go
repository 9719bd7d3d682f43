package wire

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"
)

// HTTP header names of Streamable HTTP (streamable-http.mdx). Names are
// case-insensitive; these are the canonical spellings.
const (
	HeaderProtocolVersion = "MCP-Protocol-Version"
	HeaderMethod          = "Mcp-Method"
	HeaderName            = "Mcp-Name"
	HeaderParamPrefix     = "Mcp-Param-"
	HeaderSessionID       = "Mcp-Session-Id"
	HeaderLastEventID     = "Last-Event-ID"
)

// Base64 sentinel of the Value Encoding rules: "=?base64?" value "?=",
// lowercase, exact.
const (
	sentinelPrefix = "=?base64?"
	sentinelSuffix = "?="
)

// ErrHeaderValue reports a header value that is not valid under the
// Value Encoding rules.
var ErrHeaderValue = errors.New("invalid mcp header value")

// IsSentinel reports whether v has the form of a Base64-encoded value.
func IsSentinel(v string) bool {
	return len(v) >= len(sentinelPrefix)+len(sentinelSuffix) &&
		strings.HasPrefix(v, sentinelPrefix) && strings.HasSuffix(v, sentinelSuffix)
}

// NeedsEncoding reports whether a client must Base64-encode s: it has a
// byte outside visible ASCII, space and tab; leading or trailing
// whitespace; or it matches the sentinel pattern itself.
func NeedsEncoding(s string) bool {
	if s == "" {
		return false
	}
	if IsSentinel(s) {
		return true
	}
	if s[0] == ' ' || s[0] == '\t' || s[len(s)-1] == ' ' || s[len(s)-1] == '\t' {
		return true
	}
	for i := 0; i < len(s); i++ {
		if !plainHeaderByte(s[i]) {
			return true
		}
	}
	return false
}

// plainHeaderByte: visible ASCII 0x21-0x7E, space and horizontal tab
// (RFC 9110 field values as the spec restricts them).
func plainHeaderByte(c byte) bool { return c == ' ' || c == '\t' || c >= 0x21 && c <= 0x7e }

// EncodeHeaderValue renders s for Mcp-Name or Mcp-Param-*: as is when it is
// plain ASCII, in the Base64 sentinel form otherwise.
func EncodeHeaderValue(s string) string {
	if NeedsEncoding(s) {
		return sentinelPrefix + base64.StdEncoding.EncodeToString([]byte(s)) + sentinelSuffix
	}
	return s
}

// DecodeHeaderValue decodes a header value of Mcp-Name or Mcp-Param-*: the
// sentinel form is Base64-decoded (standard alphabet, padded) and must give
// UTF-8; a plain value must have only valid header bytes.
func DecodeHeaderValue(v string) (string, error) {
	if IsSentinel(v) {
		enc := v[len(sentinelPrefix) : len(v)-len(sentinelSuffix)]
		b, err := base64.StdEncoding.Strict().DecodeString(enc)
		if err != nil {
			return "", fmt.Errorf("%w: bad base64 in sentinel: %v", ErrHeaderValue, err)
		}
		if !utf8.Valid(b) {
			return "", fmt.Errorf("%w: base64 value is not UTF-8", ErrHeaderValue)
		}
		return string(b), nil
	}
	if err := CheckPlainHeaderValue(v); err != nil {
		return "", err
	}
	return v, nil
}

// CheckPlainHeaderValue reports an error if v has a byte that may not
// appear in a header value.
func CheckPlainHeaderValue(v string) error {
	for i := 0; i < len(v); i++ {
		if !plainHeaderByte(v[i]) {
			return fmt.Errorf("%w: byte 0x%02x at %d", ErrHeaderValue, v[i], i)
		}
	}
	return nil
}

// IsToken reports whether s is an RFC 9110 token (1*tchar): the syntax
// required of x-mcp-header values.
func IsToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTchar(s[i]) {
			return false
		}
	}
	return true
}

func isTchar(c byte) bool {
	if isAlnum(c) {
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// MaxSafeInteger is 2^53-1, the bound on integer values mirrored into
// Mcp-Param-* headers.
const MaxSafeInteger = 1<<53 - 1

// ParamHeaderValue converts a primitive argument value for an Mcp-Param-*
// header: strings as is, integers in decimal, booleans as "true"/"false";
// then the Value Encoding. ok is false for null and for any other type.
func ParamHeaderValue(v any) (s string, ok bool) {
	switch v := v.(type) {
	case string:
		return EncodeHeaderValue(v), true
	case bool:
		return strconv.FormatBool(v), true
	case int64:
		return strconv.FormatInt(v, 10), true
	case int:
		return strconv.Itoa(v), true
	case float64:
		if v == float64(int64(v)) {
			return strconv.FormatInt(int64(v), 10), true
		}
	}
	return "", false
}

// HeaderValues returns the values of the header named name in h, matching
// the name case-insensitively (h may hold names as a client wrote them,
// not canonicalized).
func HeaderValues(h map[string][]string, name string) []string {
	if vs, ok := h[name]; ok {
		return vs
	}
	var out []string
	for k, vs := range h {
		if strings.EqualFold(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}

// HeaderValue returns the first value of the header named name
// (case-insensitive), and whether it is present.
func HeaderValue(h map[string][]string, name string) (string, bool) {
	vs := HeaderValues(h, name)
	if len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

// DelHeader deletes every spelling of header name from h.
func DelHeader(h map[string][]string, name string) {
	for k := range h {
		if strings.EqualFold(k, name) {
			delete(h, k)
		}
	}
}

// IsLoopbackHost reports a host name (a URL's Hostname, brackets allowed)
// that names the local machine: localhost, or a loopback address (127/8,
// ::1, IPv4-mapped loopback). A zone identifier (::1%lo) is none: browsers
// never send one, so it names no page's origin.
func IsLoopbackHost(h string) bool {
	h = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"))
	if strings.ContainsRune(h, '%') {
		return false
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// EffectivePort is a URL's port, or its scheme's default (443 for https,
// 80 otherwise).
func EffectivePort(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

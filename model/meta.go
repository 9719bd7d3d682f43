package model

import (
	"bytes"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// The _meta keys the server emits (basic/index.mdx, "_meta": key name
// format; "OpenTelemetry trace context") on the results and notifications
// it sends, and the extension identifiers it advertises
// (basic/versioning.mdx, "Extension Negotiation").

// metaKeyProblem says what is wrong with a _meta key ("" if nothing):
// the key name format of wire.ValidMetaKey; withPrefix requires a prefix
// (extension identifiers).
func metaKeyProblem(key string, withPrefix bool) string {
	if prefix, _, ok := strings.Cut(key, "/"); withPrefix && (!ok || prefix == "") {
		return "it has no prefix"
	}
	if !wire.ValidMetaKey(key) {
		return "not an optional prefix of dot-separated labels (a letter first, a letter or digit last, hyphens between) and a slash, then a name that begins and ends with an alphanumeric with only -, _, . and alphanumerics between"
	}
	return ""
}

// jsonQuote quotes s as a JSON string, as it appears on the wire.
func jsonQuote(s string) string { b, _ := json.Marshal(s); return string(b) }

// W3C Trace Context (traceparent, tracestate) and W3C Baggage.
var (
	traceparent  = regexp.MustCompile(`^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}(-.*)?$`)
	tracestateKV = regexp.MustCompile(`^(?:[a-z0-9][_0-9a-z*/-]{0,255}|[a-z0-9][_0-9a-z*/-]{0,240}@[a-z][_0-9a-z*/-]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$`)
	baggageKey   = regexp.MustCompile("^[!#$%&'*+\\-.^_`|~0-9A-Za-z]+$")
	baggageValue = regexp.MustCompile(`^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*$`)
)

// traceValueProblem says what is wrong with the value of a trace context
// key ("" if nothing).
func traceValueProblem(key string, raw json.RawMessage) string {
	var v string
	if json.Unmarshal(raw, &v) != nil {
		return "not a string"
	}
	switch key {
	case "traceparent":
		m := traceparent.FindStringSubmatch(v)
		switch {
		case m == nil:
			return "not version-traceid-parentid-flags in lower-case hex"
		case m[1] == "ff":
			return "version ff is invalid"
		case m[1] == "00" && m[4] != "":
			return "version 00 has exactly four fields"
		case strings.Trim(m[2], "0") == "" || strings.Trim(m[3], "0") == "":
			return "an all-zero trace-id or parent-id is invalid"
		}
	case "tracestate":
		members := strings.Split(v, ",")
		if len(members) > 32 {
			return "more than 32 list members"
		}
		for _, mem := range members {
			if mem = strings.Trim(mem, " \t"); mem != "" && !tracestateKV.MatchString(mem) {
				return "list member " + jsonQuote(mem) + " is not key=value"
			}
		}
	case "baggage":
		for _, mem := range strings.Split(v, ",") {
			kv, _, _ := strings.Cut(strings.Trim(mem, " \t"), ";")
			k, val, ok := strings.Cut(kv, "=")
			if !ok || !baggageKey.MatchString(strings.TrimSpace(k)) || !baggageValue.MatchString(strings.TrimSpace(val)) {
				return "list member " + jsonQuote(mem) + " is not key=value with a token key and a baggage value"
			}
		}
	}
	return ""
}

// notificationMeta returns the _meta of a notification's params, read
// from the raw message only when it has one.
func notificationMeta(r wire.Reply) map[string]json.RawMessage {
	m, ok := r.Msg.(*wire.JSONRPCNotification)
	if !ok || !bytes.Contains(m.Params, []byte(`"_meta"`)) {
		return nil
	}
	var v struct {
		Meta map[string]json.RawMessage `json:"_meta"`
	}
	if json.Unmarshal(m.Params, &v) != nil {
		return nil
	}
	return v.Meta
}

// checkMetaKeys: the _meta keys of the result and of notifications have
// the key name format, and trace context values their W3C formats. The
// members of the result's _meta that wire types (serverInfo) are well
// named by construction: only the others are read.
func checkMetaKeys(c *ctx) {
	if c.rf.known && c.rf.meta != nil {
		c.judge(spec.CoreMetaKeyFormat)
		judgeMetaKeys(c, c.final, c.rf.meta.Extra)
	}
	for i, r := range c.ex.Replies {
		if meta := notificationMeta(r); meta != nil {
			c.judge(spec.CoreMetaKeyFormat)
			raw := make(wire.Object, len(meta))
			for k, v := range meta {
				raw[k] = wire.Value(v)
			}
			judgeMetaKeys(c, i, raw)
		}
	}
}

// judgeMetaKeys judges the keys (and trace context values) of message i's
// _meta.
func judgeMetaKeys(c *ctx, i int, meta wire.Object) {
	if len(meta) == 0 {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		switch k {
		case "traceparent", "tracestate", "baggage":
			c.judge(spec.CoreMetaTraceFormat)
			if p := traceValueProblem(k, json.RawMessage(meta[k])); p != "" {
				c.reportf(spec.CoreMetaTraceFormat, k+" in the W3C Trace Context / Baggage format", "message %d: _meta %s %.80s: %s", i+1, k, meta[k], p)
			}
			continue
		}
		if p := metaKeyProblem(k, false); p != "" {
			c.reportf(spec.CoreMetaKeyFormat, "_meta keys of the key name format", "message %d: _meta key %s: %s", i+1, jsonQuote(k), p)
			continue
		}
		if prefix, _, ok := strings.Cut(k, "/"); ok && forwardDNS(prefix) {
			c.judge(spec.CoreMetaKeyReverseDns)
			c.reportf(spec.CoreMetaKeyReverseDns, "prefixes in reverse DNS notation (com.example/)", "message %d: _meta key %s has the prefix %s, a domain name in forward order", i+1, jsonQuote(k), prefix)
		}
	}
}

// checkExtensionIDs: the extension identifiers a server/discover result
// advertises in capabilities.extensions have the _meta key format, with a
// prefix.
func checkExtensionIDs(c *ctx) {
	if c.result == nil || c.final < 0 {
		return
	}
	d, ok := c.ex.Replies[c.final].Result.(*wire.DiscoverResult)
	if !ok || len(d.Capabilities.Extensions) == 0 {
		return
	}
	c.judge(spec.CoreExtensionId)
	for _, id := range slices.Sorted(maps.Keys(d.Capabilities.Extensions)) {
		if p := metaKeyProblem(id, true); p != "" {
			c.reportf(spec.CoreExtensionId, "extension identifiers of the _meta key format, with a prefix", "extension %s: %s", jsonQuote(id), p)
		}
	}
}

// topLevelDomains are common top-level domains: a prefix whose last label
// is one and whose first is not is a domain name in forward order
// (example.com/ where com.example/ is meant).
var topLevelDomains = map[string]bool{"com": true, "org": true, "net": true, "io": true, "dev": true, "ai": true, "app": true,
	"edu": true, "gov": true, "co": true, "uk": true, "de": true, "fr": true, "jp": true, "cn": true, "us": true, "eu": true}

// forwardDNS reports a prefix in forward DNS order.
func forwardDNS(prefix string) bool {
	labels := strings.Split(strings.ToLower(prefix), ".")
	return len(labels) >= 2 && topLevelDomains[labels[len(labels)-1]] && !topLevelDomains[labels[0]]
}

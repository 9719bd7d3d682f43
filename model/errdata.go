package model

import (
	"fmt"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// checkErrorData: the errors the spec defines carry their data; an error
// to initialize names the supported versions.
func checkErrorData(c *ctx) {
	e := &c.errResp.Error
	switch e.Code {
	case wire.CodeUnsupportedProtocolVersion:
		c.judge(spec.CoreVersionUnsupported)
		var d struct {
			Supported *[]string `json:"supported"`
			Requested *string   `json:"requested"`
		}
		if len(e.Data) == 0 || wire.Unmarshal(e.Data, &d) != nil || d.Supported == nil || d.Requested == nil {
			c.reportf(spec.CoreVersionUnsupported, "data.supported (the versions the server supports) and data.requested", "UnsupportedProtocolVersion with data %s", orNone(e.Data))
			return
		}
		if !requestedMatches(c, *d.Requested) {
			c.reportf(spec.CoreVersionUnsupported, fmt.Sprintf("data.requested %q (the version the request asked for)", requestedVersion(c)), "data.requested %q", *d.Requested)
		}
		if len(*d.Supported) == 0 {
			c.report(spec.CoreVersionUnsupported, "an empty data.supported", "the versions the server supports in data.supported")
		}
	case wire.CodeMissingRequiredClientCapability:
		c.judge(spec.CoreCapabilityRequired)
		var d struct {
			Required *wire.ClientCapabilities `json:"requiredCapabilities"`
		}
		if len(e.Data) == 0 || wire.Unmarshal(e.Data, &d) != nil || d.Required == nil {
			c.reportf(spec.CoreCapabilityRequired, "data.requiredCapabilities listing the missing capabilities", "MissingRequiredClientCapability with data %s", orNone(e.Data))
		}
	}
	if c.method == "initialize" && c.facts().modernOnly() == yes {
		c.judge(spec.CoreInitializeVersions)
		text := e.Message + " " + string(e.Data)
		named := false
		for _, v := range c.facts().versions {
			named = named || strings.Contains(text, v)
		}
		if !named {
			c.reportf(spec.CoreInitializeVersions, "the supported versions named in the error to initialize", "error %d %q", e.Code, e.Message)
		}
	}
}

// requestedMatches: data.requested names a version the request asked for.
// When the header and the body differ, either is the requested version.
func requestedMatches(c *ctx, requested string) bool {
	body := ""
	if c.meta != nil && c.meta.ProtocolVersion != nil {
		body = *c.meta.ProtocolVersion
	}
	hdr := ""
	if c.http {
		hdr = c.hdr.version
	}
	if body == "" && hdr == "" {
		return true // nothing to compare with
	}
	return requested == body || requested == hdr
}

// requestedVersion is the version the request asked for: the body's, or
// the header's when the body has none.
func requestedVersion(c *ctx) string {
	if c.meta != nil && c.meta.ProtocolVersion != nil {
		return *c.meta.ProtocolVersion
	}
	if c.http {
		v, _ := c.hdr.version, c.hdr.hasVersion
		return v
	}
	return ""
}

func orNone(v wire.Value) string {
	if len(v) == 0 {
		return "absent"
	}
	return string(v)
}

package model

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"reflect"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// What results carry: tool results (server/tools.mdx, "Structured
// Content", "Embedded Resources"), prompt messages (server/prompts.mdx,
// "PromptMessage"), resource contents and URIs (server/resources.mdx).

// checkToolContent: a tool result with structuredContent also returns it
// serialized in a text block (SHOULD); a server whose tool results embed
// resources declares the resources capability (SHOULD).
func checkToolContent(c *ctx) {
	if c.result == nil || c.final < 0 {
		return
	}
	r, ok := c.ex.Replies[c.final].Result.(*wire.CallToolResult)
	if !ok {
		return
	}
	if len(r.StructuredContent) > 0 && (r.IsError == nil || !*r.IsError) {
		c.judge(spec.CoreToolStructuredText)
		if !structuredAsText(r) {
			c.report(spec.CoreToolStructuredText, "structuredContent without a text block that holds it serialized", "the serialized JSON of structuredContent in a text content block too")
		}
	}
	if f := c.facts(); f.discovered {
		for _, b := range r.Content {
			if _, embedded := b.(*wire.EmbeddedResource); embedded {
				c.judge(spec.CoreToolEmbeddedCapability)
				if !f.caps.resources {
					c.report(spec.CoreToolEmbeddedCapability, "a tool result embedding a resource from a server that does not declare resources", "the resources capability declared by a server whose tool results embed resources")
				}
				break
			}
		}
	}
}

// structuredAsText reports a text block whose JSON equals the result's
// structuredContent.
func structuredAsText(r *wire.CallToolResult) bool {
	var want any
	if json.Unmarshal(r.StructuredContent, &want) != nil {
		return true // the schema rules judge an unreadable value
	}
	for _, b := range r.Content {
		t, ok := b.(*wire.TextContent)
		if !ok {
			continue
		}
		var got any
		if json.Unmarshal([]byte(t.Text), &got) == nil && reflect.DeepEqual(got, want) {
			return true
		}
	}
	return false
}

// checkPromptMedia: image and audio content in prompt messages carries
// Base64 data and a valid MIME type.
func checkPromptMedia(c *ctx) {
	if c.result == nil || c.final < 0 {
		return
	}
	r, ok := c.ex.Replies[c.final].Result.(*wire.GetPromptResult)
	if !ok {
		return
	}
	for i, m := range r.Messages {
		var data, mt, kind string
		switch b := m.Content.(type) {
		case *wire.ImageContent:
			data, mt, kind = b.Data, b.MimeType, "image"
		case *wire.AudioContent:
			data, mt, kind = b.Data, b.MimeType, "audio"
		case *wire.EmbeddedResource:
			c.judge(spec.CorePromptEmbeddedResource)
			if p := embeddedProblem(b); p != "" {
				c.reportf(spec.CorePromptEmbeddedResource, "an embedded resource with a valid URI, a MIME type, and text or Base64 blob data", "message %d: %s", i+1, p)
			}
			continue
		default:
			continue
		}
		c.judge(spec.CorePromptMediaEncoding)
		if p := mediaProblem(data, mt); p != "" {
			c.reportf(spec.CorePromptMediaEncoding, "Base64 data and a valid MIME type", "message %d, %s content: %s", i+1, kind, p)
		}
	}
}

// embeddedProblem says what is wrong with an embedded resource of a prompt
// message: its URI (a scheme and RFC 3986 syntax), its MIME type (absent
// or not a MIME type), its blob (not Base64). Whether the MIME type is the
// appropriate one is not decidable.
func embeddedProblem(b *wire.EmbeddedResource) string {
	var uri, mt string
	switch x := b.Resource.(type) {
	case *wire.TextResourceContents:
		uri, mt = x.URI, x.MimeType
	case *wire.BlobResourceContents:
		uri, mt = x.URI, x.MimeType
		if _, err := base64.StdEncoding.DecodeString(x.Blob); err != nil {
			return "a blob that is not Base64"
		}
	default:
		return "no text or blob contents"
	}
	if p := wire.URIProblem(uri); p != "" {
		return "the URI " + jsonQuote(uri) + ": " + p
	}
	if !isMIMEType(mt) {
		return "the mimeType " + jsonQuote(mt) + ", which is not a MIME type"
	}
	return ""
}

// isMIMEType reports whether mt is a media type (type/subtype, with
// parameters or not).
func isMIMEType(mt string) bool {
	t, _, err := mime.ParseMediaType(mt)
	return err == nil && strings.Contains(t, "/")
}

// mediaProblem says what is wrong with Base64 data and its MIME type.
func mediaProblem(data, mimeType string) string {
	if _, err := base64.StdEncoding.DecodeString(data); err != nil {
		return "data that is not Base64: " + err.Error()
	}
	if !isMIMEType(mimeType) {
		return "mimeType " + jsonQuote(mimeType) + " that is not a MIME type"
	}
	return ""
}

// checkResourceContents: blobs are valid Base64, and every URI a read
// returns, or a list declares, conforms to RFC 3986.
func checkResourceContents(c *ctx) {
	if c.result == nil || c.final < 0 {
		return
	}
	switch r := c.ex.Replies[c.final].Result.(type) {
	case *wire.ReadResourceResult:
		for i, rc := range r.Contents {
			var uri string
			switch x := rc.(type) {
			case *wire.BlobResourceContents:
				uri = x.URI
				c.judge(spec.CoreResourceBlobEncoding)
				if _, err := base64.StdEncoding.DecodeString(x.Blob); err != nil {
					c.reportf(spec.CoreResourceBlobEncoding, "blob data in Base64", "contents %d: a blob that is not Base64: %v", i+1, err)
				}
			case *wire.TextResourceContents:
				uri = x.URI
			}
			judgeURI(c, uri, "contents")
		}
	case *wire.ListResourcesResult:
		for _, res := range r.Resources {
			judgeURI(c, res.URI, "resources/list")
		}
	}
}

// judgeURI judges a resource URI of a custom scheme (the common ones,
// https, http, file and git, are not the rule's concern).
func judgeURI(c *ctx, uri, where string) {
	scheme, _, ok := strings.Cut(uri, ":")
	switch strings.ToLower(scheme) {
	case "https", "http", "file", "git":
		return
	}
	if uri == "" || !ok {
		return
	}
	c.judge(spec.CoreResourceUriRfc3986)
	if p := wire.URIProblem(uri); p != "" {
		c.reportf(spec.CoreResourceUriRfc3986, "resource URIs that conform to RFC 3986", "%s: %.120q: %s", where, uri, p)
	}
}

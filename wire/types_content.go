package wire

// Content blocks: what tools return, prompts hold and sampling exchanges.
// Each block type carries its discriminator in Type, which must be set when
// a block is built in code ("text", "image", ...); decoding sets it.

// ContentBlock is a block of content in a tool result, a prompt message or
// a tool result inside sampling: *TextContent, *ImageContent,
// *AudioContent, *ResourceLink or *EmbeddedResource. It decodes by its
// "type"; an unknown type is an error.
type ContentBlock interface{ isContentBlock() }

// SamplingMessageContentBlock is a block of content in a sampling message:
// *TextContent, *ImageContent, *AudioContent, *ToolUseContent or
// *ToolResultContent. It decodes by its "type"; an unknown type is an
// error.
type SamplingMessageContentBlock interface{ isSamplingMessageContentBlock() }

func (*TextContent) isContentBlock()      {}
func (*ImageContent) isContentBlock()     {}
func (*AudioContent) isContentBlock()     {}
func (*ResourceLink) isContentBlock()     {}
func (*EmbeddedResource) isContentBlock() {}

func (*TextContent) isSamplingMessageContentBlock()       {}
func (*ImageContent) isSamplingMessageContentBlock()      {}
func (*AudioContent) isSamplingMessageContentBlock()      {}
func (*ToolUseContent) isSamplingMessageContentBlock()    {}
func (*ToolResultContent) isSamplingMessageContentBlock() {}

// Annotations are hints to the client on how to use or show an object.
// Priority is in [0, 1].
type Annotations struct {
	Audience     []string `json:"audience,omitzero"`
	LastModified string   `json:"lastModified,omitzero"`
	Priority     *float64 `json:"priority,omitzero"`
	Extra        Object   `json:",embed"`
}

// TextContent is text. Type is "text".
type TextContent struct {
	Meta        MetaObject   `json:"_meta,omitzero"`
	Annotations *Annotations `json:"annotations,omitzero"`
	Text        string       `json:"text"`
	Type        string       `json:"type"`
	Extra       Object       `json:",embed"`
}

// ImageContent is an image, Base64-encoded in Data. Type is "image".
type ImageContent struct {
	Meta        MetaObject   `json:"_meta,omitzero"`
	Annotations *Annotations `json:"annotations,omitzero"`
	Data        string       `json:"data"`
	MimeType    string       `json:"mimeType"`
	Type        string       `json:"type"`
	Extra       Object       `json:",embed"`
}

// AudioContent is audio, Base64-encoded in Data. Type is "audio".
type AudioContent struct {
	Meta        MetaObject   `json:"_meta,omitzero"`
	Annotations *Annotations `json:"annotations,omitzero"`
	Data        string       `json:"data"`
	MimeType    string       `json:"mimeType"`
	Type        string       `json:"type"`
	Extra       Object       `json:",embed"`
}

// ResourceLink points to a resource the client may read. Type is
// "resource_link".
type ResourceLink struct {
	Meta        MetaObject   `json:"_meta,omitzero"`
	Annotations *Annotations `json:"annotations,omitzero"`
	Description string       `json:"description,omitzero"`
	Icons       []Icon       `json:"icons,omitzero"`
	MimeType    string       `json:"mimeType,omitzero"`
	Name        string       `json:"name"`
	Size        *int64       `json:"size,omitzero"`
	Title       string       `json:"title,omitzero"`
	Type        string       `json:"type"`
	URI         string       `json:"uri"`
	Extra       Object       `json:",embed"`
}

// EmbeddedResource carries the contents of a resource inline. Type is
// "resource".
type EmbeddedResource struct {
	Meta        MetaObject                 `json:"_meta,omitzero"`
	Annotations *Annotations               `json:"annotations,omitzero"`
	Resource    TextOrBlobResourceContents `json:"resource,omitzero"`
	Type        string                     `json:"type"`
	Extra       Object                     `json:",embed"`
}

// ToolUseContent is a model's request to call a tool, in sampling. Type is
// "tool_use".
type ToolUseContent struct {
	Meta  MetaObject       `json:"_meta,omitzero"`
	ID    string           `json:"id"`
	Input map[string]Value `json:"input"`
	Name  string           `json:"name"`
	Type  string           `json:"type"`
	Extra Object           `json:",embed"`
}

// ToolResultContent is the result of a tool use, in sampling. Type is
// "tool_result".
type ToolResultContent struct {
	Meta              MetaObject     `json:"_meta,omitzero"`
	Content           []ContentBlock `json:"content"`
	IsError           *bool          `json:"isError,omitzero"`
	StructuredContent Value          `json:"structuredContent,omitzero"`
	ToolUseID         string         `json:"toolUseId"`
	Type              string         `json:"type"`
	Extra             Object         `json:",embed"`
}

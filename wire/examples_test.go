package wire

import (
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/go-json-experiment/json"
	"github.com/google/go-cmp/cmp"
)

// defTypes maps every definition of schema.json to a constructor of its
// Go type (a pointer, to decode into). Unions are pointers to the
// interface, which decode through the strict policy's union functions.
var defTypes = map[string]func() any{
	"Annotations":                           newOf[Annotations],
	"AudioContent":                          newOf[AudioContent],
	"BaseMetadata":                          newOf[BaseMetadata],
	"BlobResourceContents":                  newOf[BlobResourceContents],
	"BooleanSchema":                         newOf[BooleanSchema],
	"CacheableResult":                       newOf[CacheableResult],
	"CallToolRequest":                       newOf[CallToolRequest],
	"CallToolRequestParams":                 newOf[CallToolRequestParams],
	"CallToolResult":                        newOf[CallToolResult],
	"CallToolResultResponse":                newOf[CallToolResultResponse],
	"CancelledNotification":                 newOf[CancelledNotification],
	"CancelledNotificationParams":           newOf[CancelledNotificationParams],
	"ClientCapabilities":                    newOf[ClientCapabilities],
	"ClientNotification":                    newOf[ClientNotification],
	"ClientRequest":                         newOf[ClientRequest],
	"ClientResult":                          newOf[ClientResult],
	"CompleteRequest":                       newOf[CompleteRequest],
	"CompleteRequestParams":                 newOf[CompleteRequestParams],
	"CompleteResult":                        newOf[CompleteResult],
	"CompleteResultResponse":                newOf[CompleteResultResponse],
	"ContentBlock":                          newOf[ContentBlock],
	"CreateMessageRequest":                  newOf[CreateMessageRequest],
	"CreateMessageRequestParams":            newOf[CreateMessageRequestParams],
	"CreateMessageResult":                   newOf[CreateMessageResult],
	"Cursor":                                newOf[Cursor],
	"DiscoverRequest":                       newOf[DiscoverRequest],
	"DiscoverResult":                        newOf[DiscoverResult],
	"DiscoverResultResponse":                newOf[DiscoverResultResponse],
	"ElicitRequest":                         newOf[ElicitRequest],
	"ElicitRequestFormParams":               newOf[ElicitRequestFormParams],
	"ElicitRequestParams":                   newOf[ElicitRequestParams],
	"ElicitRequestURLParams":                newOf[ElicitRequestURLParams],
	"ElicitResult":                          newOf[ElicitResult],
	"EmbeddedResource":                      newOf[EmbeddedResource],
	"EmptyResult":                           newOf[EmptyResult],
	"EnumSchema":                            newOf[EnumSchema],
	"Error":                                 newOf[Error],
	"GetPromptRequest":                      newOf[GetPromptRequest],
	"GetPromptRequestParams":                newOf[GetPromptRequestParams],
	"GetPromptResult":                       newOf[GetPromptResult],
	"GetPromptResultResponse":               newOf[GetPromptResultResponse],
	"HeaderMismatchError":                   newOf[HeaderMismatchError],
	"Icon":                                  newOf[Icon],
	"Icons":                                 newOf[Icons],
	"ImageContent":                          newOf[ImageContent],
	"Implementation":                        newOf[Implementation],
	"InputRequest":                          newOf[InputRequest],
	"InputRequests":                         newOf[InputRequests],
	"InputRequiredResult":                   newOf[InputRequiredResult],
	"InputResponse":                         newOf[InputResponse],
	"InputResponseRequestParams":            newOf[InputResponseRequestParams],
	"InputResponses":                        newOf[InputResponses],
	"InternalError":                         newOf[InternalError],
	"InvalidParamsError":                    newOf[InvalidParamsError],
	"InvalidRequestError":                   newOf[InvalidRequestError],
	"JSONArray":                             newOf[JSONArray],
	"JSONObject":                            newOf[JSONObject],
	"JSONRPCErrorResponse":                  newOf[JSONRPCErrorResponse],
	"JSONRPCMessage":                        newOf[JSONRPCMessage],
	"JSONRPCNotification":                   newOf[JSONRPCNotification],
	"JSONRPCRequest":                        newOf[JSONRPCRequest],
	"JSONRPCResponse":                       newOf[JSONRPCResponse],
	"JSONRPCResultResponse":                 newOf[JSONRPCResultResponse],
	"JSONValue":                             newOf[JSONValue],
	"LegacyTitledEnumSchema":                newOf[LegacyTitledEnumSchema],
	"ListPromptsRequest":                    newOf[ListPromptsRequest],
	"ListPromptsResult":                     newOf[ListPromptsResult],
	"ListPromptsResultResponse":             newOf[ListPromptsResultResponse],
	"ListResourceTemplatesRequest":          newOf[ListResourceTemplatesRequest],
	"ListResourceTemplatesResult":           newOf[ListResourceTemplatesResult],
	"ListResourceTemplatesResultResponse":   newOf[ListResourceTemplatesResultResponse],
	"ListResourcesRequest":                  newOf[ListResourcesRequest],
	"ListResourcesResult":                   newOf[ListResourcesResult],
	"ListResourcesResultResponse":           newOf[ListResourcesResultResponse],
	"ListRootsRequest":                      newOf[ListRootsRequest],
	"ListRootsResult":                       newOf[ListRootsResult],
	"ListToolsRequest":                      newOf[ListToolsRequest],
	"ListToolsResult":                       newOf[ListToolsResult],
	"ListToolsResultResponse":               newOf[ListToolsResultResponse],
	"LoggingLevel":                          newOf[LoggingLevel],
	"LoggingMessageNotification":            newOf[LoggingMessageNotification],
	"LoggingMessageNotificationParams":      newOf[LoggingMessageNotificationParams],
	"MetaObject":                            newOf[MetaObject],
	"MethodNotFoundError":                   newOf[MethodNotFoundError],
	"MissingRequiredClientCapabilityError":  newOf[MissingRequiredClientCapabilityError],
	"ModelHint":                             newOf[ModelHint],
	"ModelPreferences":                      newOf[ModelPreferences],
	"MultiSelectEnumSchema":                 newOf[MultiSelectEnumSchema],
	"Notification":                          newOf[Notification],
	"NotificationMetaObject":                newOf[NotificationMetaObject],
	"NotificationParams":                    newOf[NotificationParams],
	"NumberSchema":                          newOf[NumberSchema],
	"PaginatedRequest":                      newOf[PaginatedRequest],
	"PaginatedRequestParams":                newOf[PaginatedRequestParams],
	"PaginatedResult":                       newOf[PaginatedResult],
	"ParseError":                            newOf[ParseError],
	"PrimitiveSchemaDefinition":             newOf[PrimitiveSchemaDefinition],
	"ProgressNotification":                  newOf[ProgressNotification],
	"ProgressNotificationParams":            newOf[ProgressNotificationParams],
	"ProgressToken":                         newOf[ProgressToken],
	"Prompt":                                newOf[Prompt],
	"PromptArgument":                        newOf[PromptArgument],
	"PromptListChangedNotification":         newOf[PromptListChangedNotification],
	"PromptMessage":                         newOf[PromptMessage],
	"PromptReference":                       newOf[PromptReference],
	"ReadResourceRequest":                   newOf[ReadResourceRequest],
	"ReadResourceRequestParams":             newOf[ReadResourceRequestParams],
	"ReadResourceResult":                    newOf[ReadResourceResult],
	"ReadResourceResultResponse":            newOf[ReadResourceResultResponse],
	"Request":                               newOf[Request],
	"RequestId":                             newOf[RequestId],
	"RequestMetaObject":                     newOf[RequestMetaObject],
	"RequestParams":                         newOf[RequestParams],
	"Resource":                              newOf[Resource],
	"ResourceContents":                      newOf[ResourceContents],
	"ResourceLink":                          newOf[ResourceLink],
	"ResourceListChangedNotification":       newOf[ResourceListChangedNotification],
	"ResourceRequestParams":                 newOf[ResourceRequestParams],
	"ResourceTemplate":                      newOf[ResourceTemplate],
	"ResourceTemplateReference":             newOf[ResourceTemplateReference],
	"ResourceUpdatedNotification":           newOf[ResourceUpdatedNotification],
	"ResourceUpdatedNotificationParams":     newOf[ResourceUpdatedNotificationParams],
	"Result":                                newOf[Result],
	"ResultMetaObject":                      newOf[ResultMetaObject],
	"ResultType":                            newOf[ResultType],
	"Role":                                  newOf[Role],
	"Root":                                  newOf[Root],
	"SamplingMessage":                       newOf[SamplingMessage],
	"SamplingMessageContentBlock":           newOf[SamplingMessageContentBlock],
	"ServerCapabilities":                    newOf[ServerCapabilities],
	"ServerNotification":                    newOf[ServerNotification],
	"ServerResult":                          newOf[ServerResult],
	"SingleSelectEnumSchema":                newOf[SingleSelectEnumSchema],
	"StringSchema":                          newOf[StringSchema],
	"SubscriptionFilter":                    newOf[SubscriptionFilter],
	"SubscriptionsAcknowledgedNotification": newOf[SubscriptionsAcknowledgedNotification],
	"SubscriptionsAcknowledgedNotificationParams": newOf[SubscriptionsAcknowledgedNotificationParams],
	"SubscriptionsListenRequest":                  newOf[SubscriptionsListenRequest],
	"SubscriptionsListenRequestParams":            newOf[SubscriptionsListenRequestParams],
	"SubscriptionsListenResult":                   newOf[SubscriptionsListenResult],
	"SubscriptionsListenResultMetaObject":         newOf[SubscriptionsListenResultMetaObject],
	"SubscriptionsListenResultResponse":           newOf[SubscriptionsListenResultResponse],
	"TextContent":                                 newOf[TextContent],
	"TextResourceContents":                        newOf[TextResourceContents],
	"TitledMultiSelectEnumSchema":                 newOf[TitledMultiSelectEnumSchema],
	"TitledSingleSelectEnumSchema":                newOf[TitledSingleSelectEnumSchema],
	"Tool":                                        newOf[Tool],
	"ToolAnnotations":                             newOf[ToolAnnotations],
	"ToolChoice":                                  newOf[ToolChoice],
	"ToolListChangedNotification":                 newOf[ToolListChangedNotification],
	"ToolResultContent":                           newOf[ToolResultContent],
	"ToolUseContent":                              newOf[ToolUseContent],
	"UnsupportedProtocolVersionError":             newOf[UnsupportedProtocolVersionError],
	"UntitledMultiSelectEnumSchema":               newOf[UntitledMultiSelectEnumSchema],
	"UntitledSingleSelectEnumSchema":              newOf[UntitledSingleSelectEnumSchema],
}

// exampleExtensions lists the members of an example that no Go field
// holds (they survive in an Extra), by "<Def>/<file>".
var exampleExtensions = map[string][]string{
	// The schema's ListRootsRequest has no id (an input request is not a
	// JSON-RPC message); the example carries one anyway.
	"ListRootsRequest/list-roots-request.json": {"ListRootsRequest.id"},
}

type example struct {
	def, name string
	data      []byte
}

// examples returns every example under testdata/examples.
func examples(t testing.TB) []example {
	t.Helper()
	dirs, err := os.ReadDir(filepath.Join("testdata", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	var out []example
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join("testdata", "examples", d.Name(), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, example{def: d.Name(), name: filepath.Base(f), data: data})
		}
	}
	if len(out) == 0 {
		t.Fatal("no examples under testdata/examples")
	}
	return out
}

// sameJSON reports the difference between two JSON documents as values
// (member order and spacing aside), or "" if they are equal.
func sameJSON(t testing.TB, want, got []byte) string {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("want is not JSON: %v", err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("got is not JSON: %v\n%s", err, got)
	}
	return cmp.Diff(w, g)
}

// unknownMembers lists the members held in Extra fields anywhere in v, as
// "<Type>.<member>".
func unknownMembers(v any) []string {
	var out []string
	walkFallbacks(reflect.ValueOf(v), func(t reflect.Type, _ *structInfo, names []string) error {
		for _, n := range names {
			out = append(out, t.Name()+"."+n)
		}
		return nil
	})
	slices.Sort(out)
	return out
}

// TestExamplesRoundTrip decodes every example of the spec into the Go type
// of its definition, strictly, and checks that every member lands in a
// typed field and that encoding gives the same JSON value back.
func TestExamplesRoundTrip(t *testing.T) {
	for _, ex := range examples(t) {
		t.Run(ex.def+"/"+ex.name, func(t *testing.T) {
			ctor, ok := defTypes[ex.def]
			if !ok {
				t.Fatalf("no Go type for definition %s in defTypes", ex.def)
			}
			v := ctor()
			if err := Unmarshal(ex.data, v); err != nil {
				t.Fatalf("Unmarshal into %T: %v", v, err)
			}
			want := exampleExtensions[ex.def+"/"+ex.name]
			if got := unknownMembers(v); !slices.Equal(got, want) {
				t.Errorf("members not held by a typed field: %v; want %v", got, want)
			}
			out, err := Marshal(v)
			if err != nil {
				t.Fatalf("Marshal %T: %v", v, err)
			}
			if d := sameJSON(t, ex.data, out); d != "" {
				t.Errorf("round trip through %T changed the value (-want +got):\n%s", v, d)
			}
		})
	}
}

// TestExamplesAsMessages decodes the examples of JSON-RPC messages with
// DecodeMessage and their params or result by the method table, and checks
// the typed values re-encode to the same JSON.
func TestExamplesAsMessages(t *testing.T) {
	n := 0
	for _, ex := range examples(t) {
		var peek struct {
			JSONRPC *string `json:"jsonrpc"`
		}
		if err := Unmarshal(ex.data, &peek); err != nil || peek.JSONRPC == nil {
			continue // not a JSON-RPC message
		}
		n++
		t.Run(ex.def+"/"+ex.name, func(t *testing.T) {
			m, err := DecodeMessage(ex.data)
			if err != nil {
				t.Fatalf("DecodeMessage: %v", err)
			}
			b, err := EncodeMessage(m)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameJSON(t, ex.data, b); d != "" {
				t.Errorf("message round trip (-want +got):\n%s", d)
			}
			var typed any
			var raw Value
			switch m := m.(type) {
			case *JSONRPCRequest, *JSONRPCNotification:
				method := MessageMethod(m)
				info, ok := LookupMethod(method)
				if !ok {
					info, ok = LookupServerNotification(method)
				}
				if !ok {
					t.Fatalf("method %s not in the method table", method)
				}
				if info.RequestDef != ex.def {
					t.Errorf("method table names %s for %s; the example is a %s", info.RequestDef, method, ex.def)
				}
				if r, ok := m.(*JSONRPCRequest); ok {
					raw = r.Params
				} else {
					raw = m.(*JSONRPCNotification).Params
				}
				if typed, err = DecodeParams(info, raw); err != nil {
					t.Fatalf("DecodeParams: %v", err)
				}
			case *JSONRPCResultResponse:
				info := methodByResultDef(ex.def)
				if info == nil {
					t.Fatalf("no method has ResultDef %s", ex.def)
				}
				raw = m.Result
				if typed, err = DecodeResult(info, raw); err != nil {
					t.Fatalf("DecodeResult: %v", err)
				}
			case *JSONRPCErrorResponse:
				return
			}
			if raw == nil {
				return
			}
			if got := unknownMembers(typed); len(got) > 0 {
				t.Errorf("members of the typed %T not held by a typed field: %v", typed, got)
			}
			b, err = Marshal(typed)
			if err != nil {
				t.Fatal(err)
			}
			if d := sameJSON(t, raw, b); d != "" {
				t.Errorf("typed %T round trip (-want +got):\n%s", typed, d)
			}
		})
	}
	if n == 0 {
		t.Error("no JSON-RPC message among the examples")
	}
}

func methodByResultDef(def string) *MethodInfo {
	for i := range Methods {
		if Methods[i].ResultDef == def {
			return &Methods[i]
		}
	}
	return nil
}

// TestExampleDirsHaveTypes fails for an example folder whose name is not a
// definition with a Go type (a new example, or a renamed definition).
func TestExampleDirsHaveTypes(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("testdata", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dirs {
		if _, ok := defTypes[d.Name()]; !ok {
			t.Errorf("example folder %s has no entry in defTypes", d.Name())
		}
	}
	for k := range exampleExtensions {
		def, _, _ := strings.Cut(k, "/")
		if _, err := os.Stat(filepath.Join("testdata", "examples", k)); err != nil || defTypes[def] == nil {
			t.Errorf("exampleExtensions names %s, which is not an example", k)
		}
	}
}

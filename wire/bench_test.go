package wire

import "testing"

// A typical tools/call exchange: the request a client sends and the
// complete result a server answers with.
var (
	benchCallRequest = []byte(`{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{` +
		`"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28",` +
		`"io.modelcontextprotocol/clientInfo":{"name":"ExampleClient","version":"1.0.0"},` +
		`"io.modelcontextprotocol/clientCapabilities":{"elicitation":{},"sampling":{}},"progressToken":"p-42"},` +
		`"name":"get_weather","arguments":{"location":"New York","units":"metric","days":3}}}`)
	benchCallResponse = []byte(`{"jsonrpc":"2.0","id":42,"result":{"resultType":"complete",` +
		`"_meta":{"io.modelcontextprotocol/serverInfo":{"name":"ExampleServer","version":"1.0.0"}},` +
		`"content":[{"type":"text","text":"Current weather in New York:\nTemperature: 22.5°C\nConditions: Partly cloudy"},` +
		`{"type":"resource_link","uri":"file:///weather/ny.json","name":"ny.json","mimeType":"application/json"}],` +
		`"structuredContent":{"temperature":22.5,"conditions":"Partly cloudy","humidity":65},"isError":false}}`)
)

// BenchmarkDecodeMessage decodes a tools/call request: the envelope, then
// the params by the method table.
func BenchmarkDecodeMessage(b *testing.B) {
	info, _ := LookupMethod("tools/call")
	b.SetBytes(int64(len(benchCallRequest)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := DecodeMessage(benchCallRequest)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeParams(info, m.(*JSONRPCRequest).Params); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeCallToolResult decodes a tools/call response: the
// envelope, then the result by resultType and the method table.
func BenchmarkDecodeCallToolResult(b *testing.B) {
	info, _ := LookupMethod("tools/call")
	b.SetBytes(int64(len(benchCallResponse)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := DecodeMessage(benchCallResponse)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := DecodeResult(info, m.(*JSONRPCResultResponse).Result); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeCallToolResult encodes the decoded result again.
func BenchmarkEncodeCallToolResult(b *testing.B) {
	m, err := DecodeMessage(benchCallResponse)
	if err != nil {
		b.Fatal(err)
	}
	var r CallToolResult
	if err := Unmarshal(m.(*JSONRPCResultResponse).Result, &r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(&r); err != nil {
			b.Fatal(err)
		}
	}
}

// benchCallParams are the params of benchCallRequest, as DecodeMessage
// keeps them.
func benchCallParams(b *testing.B) Value {
	m, err := DecodeMessage(benchCallRequest)
	if err != nil {
		b.Fatal(err)
	}
	return m.(*JSONRPCRequest).Params
}

// BenchmarkDepth scans the request for its nesting depth, as Depth does.
func BenchmarkDepth(b *testing.B) {
	b.SetBytes(int64(len(benchCallRequest)))
	for b.Loop() {
		if Depth(benchCallRequest) > MaxDepth {
			b.Fatal("too deep")
		}
	}
}

// BenchmarkCheckDepth checks the request against MaxDepth, as the decoding
// does: by counting brackets, without the scan.
func BenchmarkCheckDepth(b *testing.B) {
	b.SetBytes(int64(len(benchCallRequest)))
	for b.Loop() {
		if err := checkDepth(benchCallRequest); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeEnvelope decodes the tools/call request's envelope alone.
func BenchmarkDecodeEnvelope(b *testing.B) {
	b.SetBytes(int64(len(benchCallRequest)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeMessage(benchCallRequest); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeCallToolParams decodes the tools/call params alone.
func BenchmarkDecodeCallToolParams(b *testing.B) {
	info, _ := LookupMethod("tools/call")
	raw := benchCallParams(b)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeParams(info, raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckNames walks the decoded params and result for members
// that differ from defined ones only in case.
func BenchmarkCheckNames(b *testing.B) {
	info, _ := LookupMethod("tools/call")
	p, err := DecodeParams(info, benchCallParams(b))
	if err != nil {
		b.Fatal(err)
	}
	m, err := DecodeMessage(benchCallResponse)
	if err != nil {
		b.Fatal(err)
	}
	r, err := DecodeResult(info, m.(*JSONRPCResultResponse).Result)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if checkNames(p) != nil || checkNames(r) != nil {
			b.Fatal("name case")
		}
	}
}

// BenchmarkDecodeContentBlock decodes one content block, a union picked
// by its "type".
func BenchmarkDecodeContentBlock(b *testing.B) {
	in := []byte(`{"type":"resource_link","uri":"file:///weather/ny.json","name":"ny.json","mimeType":"application/json"}`)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		var c ContentBlock
		if err := Unmarshal(in, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeRequest decodes the same tools/call request with
// DecodeRequest: the envelope and the typed params in one pass.
func BenchmarkDecodeRequest(b *testing.B) {
	b.SetBytes(int64(len(benchCallRequest)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, perr, err := DecodeRequest(benchCallRequest); err != nil || perr != nil {
			b.Fatal(err, perr)
		}
	}
}

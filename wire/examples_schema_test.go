package wire_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// schemaDefs returns the $defs of schema.json, decoded generically.
func schemaDefs(t *testing.T) map[string]map[string]any {
	t.Helper()
	var doc struct {
		Defs map[string]map[string]any `json:"$defs"`
	}
	if err := json.Unmarshal(spec.SchemaJSON, &doc); err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	if len(doc.Defs) == 0 {
		t.Fatal("schema.json has no $defs")
	}
	return doc.Defs
}

// TestExamplesValidate checks every example against its definition in
// schema.json, and so does the example after a round trip through its Go
// type.
func TestExamplesValidate(t *testing.T) {
	dirs, err := os.ReadDir(filepath.Join("testdata", "examples"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join("testdata", "examples", d.Name(), "*.json"))
		for _, f := range files {
			n++
			def := d.Name()
			t.Run(def+"/"+filepath.Base(f), func(t *testing.T) {
				data, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				if err := spec.Validate(def, data); err != nil {
					t.Errorf("example: %v", err)
				}
				ctor := wire.DefTypes[def]
				if ctor == nil {
					t.Fatalf("no Go type for %s", def)
				}
				v := ctor()
				if err := wire.Unmarshal(data, v); err != nil {
					t.Fatalf("Unmarshal: %v", err)
				}
				out, err := wire.Marshal(v)
				if err != nil {
					t.Fatal(err)
				}
				if err := spec.Validate(def, out); err != nil {
					t.Errorf("after a round trip: %v\n%s", err, out)
				}
			})
		}
	}
	if n == 0 {
		t.Fatal("no examples")
	}
}

// TestEveryDefinitionHasAType: the table of Go types covers schema.json
// exactly.
func TestEveryDefinitionHasAType(t *testing.T) {
	defs := schemaDefs(t)
	for name := range defs {
		if wire.DefTypes[name] == nil {
			t.Errorf("definition %s has no Go type", name)
		}
	}
	for name := range wire.DefTypes {
		if defs[name] == nil {
			t.Errorf("DefTypes names %s, which schema.json does not define", name)
		}
	}
}

// TestMethodTable checks the facts of the method table against
// schema.json: the definitions it names exist and have the method; params
// and result types are set and are the Go types of the definitions the
// schema names; Cacheable, Paginated, InputRequired and ListKey agree with
// the result and params definitions.
func TestMethodTable(t *testing.T) {
	defs := schemaDefs(t)
	for _, m := range wire.Methods {
		name := m.Method + " " + [...]string{"client", "server", "embedded"}[m.Direction]
		if m.Extension != "" {
			// An extension's methods are not in schema.json
			// (TestExtensionMethods checks them).
			continue
		}
		for _, def := range []string{m.RequestDef, m.ResultDef} {
			if def == "" {
				continue
			}
			if _, err := spec.Definition(def); err != nil {
				t.Errorf("%s: %s: %v", name, def, err)
			}
		}
		req := defs[m.RequestDef]
		if req == nil {
			t.Errorf("%s: RequestDef %q is not a definition", name, m.RequestDef)
			continue
		}
		if got := constOf(req, "method"); got != m.Method {
			t.Errorf("%s: %s has method %q", name, m.RequestDef, got)
		}
		if m.NewParams == nil {
			t.Errorf("%s: NewParams is nil", name)
		}
		if !m.Notification && m.NewResult == nil {
			t.Errorf("%s: NewResult is nil", name)
		}
		if m.Notification && m.NewResult != nil {
			t.Errorf("%s: a notification with NewResult", name)
		}
		if m.Notification != (m.ResultDef == "" && m.Direction != wire.Embedded) {
			t.Errorf("%s: Notification is %v but ResultDef is %q", name, m.Notification, m.ResultDef)
		}
		// Embedded requests are bare {method, params}; the others are
		// JSON-RPC messages.
		if jsonrpc := constOf(req, "jsonrpc") != ""; jsonrpc == (m.Direction == wire.Embedded) {
			t.Errorf("%s: Direction disagrees with %s having a jsonrpc member: %v", name, m.RequestDef, jsonrpc)
		}
		if wantID := m.Direction != wire.Embedded && !m.Notification; required(req, "id") != wantID {
			t.Errorf("%s: %s requires an id: %v; want %v", name, m.RequestDef, required(req, "id"), wantID)
		}
		// The params type is the Go type of the params definition.
		if p := refOf(prop(req, "params")); p != "" && m.NewParams != nil {
			if got := typeName(m.NewParams()); got != p {
				t.Errorf("%s: NewParams makes %s; schema.json names %s", name, got, p)
			}
		}
		if m.ResultDef == "" {
			continue
		}
		// The result: the complete type, and InputRequiredResult if allowed.
		res := prop(defs[m.ResultDef], "result")
		alts := []string{refOf(res)}
		if anyOf, ok := res["anyOf"].([]any); ok {
			alts = nil
			for _, a := range anyOf {
				alts = append(alts, refOf(a.(map[string]any)))
			}
		}
		inputRequired := slices.Contains(alts, "InputRequiredResult")
		alts = slices.DeleteFunc(alts, func(s string) bool { return s == "InputRequiredResult" })
		if len(alts) != 1 {
			t.Errorf("%s: result of %s is %v; want one complete type", name, m.ResultDef, alts)
			continue
		}
		if inputRequired != m.InputRequired {
			t.Errorf("%s: InputRequired is %v; schema.json says %v", name, m.InputRequired, inputRequired)
		}
		if got := typeName(m.NewResult()); got != alts[0] {
			t.Errorf("%s: NewResult makes %s; schema.json names %s", name, got, alts[0])
		}
		result := defs[alts[0]]
		cacheable := required(result, "ttlMs") && required(result, "cacheScope")
		if cacheable != m.Cacheable {
			t.Errorf("%s: Cacheable is %v; %s requires ttlMs and cacheScope: %v", name, m.Cacheable, alts[0], cacheable)
		}
		paginated := refOf(prop(req, "params")) == "PaginatedRequestParams" && prop(result, "nextCursor") != nil
		if paginated != m.Paginated {
			t.Errorf("%s: Paginated is %v; schema.json says %v", name, m.Paginated, paginated)
		}
		if m.ListKey != "" && (!required(result, m.ListKey) || prop(result, m.ListKey)["type"] != "array") {
			t.Errorf("%s: ListKey %q is not a required array of %s", name, m.ListKey, alts[0])
		}
		if m.Paginated && m.ListKey == "" {
			t.Errorf("%s: paginated without a ListKey", name)
		}
	}
	// Every client request and server notification of schema.json has a row.
	for union, lookup := range map[string]func(string) (*wire.MethodInfo, bool){
		"ClientRequest":      wire.LookupMethod,
		"ClientNotification": wire.LookupMethod,
		"ServerNotification": wire.LookupServerNotification,
		"InputRequest": func(method string) (*wire.MethodInfo, bool) {
			for i := range wire.Methods {
				if wire.Methods[i].Method == method && wire.Methods[i].Direction == wire.Embedded {
					return &wire.Methods[i], true
				}
			}
			return nil, false
		},
	} {
		members := []map[string]any{defs[union]}
		if anyOf, ok := defs[union]["anyOf"].([]any); ok {
			members = nil
			for _, a := range anyOf {
				members = append(members, defs[refOf(a.(map[string]any))])
			}
		}
		for _, d := range members {
			method := constOf(d, "method")
			if _, ok := lookup(method); !ok {
				t.Errorf("%s member %s has no row in the method table", union, method)
			}
		}
	}
}

func prop(def map[string]any, name string) map[string]any {
	props, _ := def["properties"].(map[string]any)
	p, _ := props[name].(map[string]any)
	return p
}

func constOf(def map[string]any, name string) string {
	s, _ := prop(def, name)["const"].(string)
	return s
}

func refOf(p map[string]any) string {
	r, _ := p["$ref"].(string)
	return strings.TrimPrefix(r, "#/$defs/")
}

func required(def map[string]any, name string) bool {
	req, _ := def["required"].([]any)
	return slices.Contains(req, any(name))
}

// typeName names the Go type v points to, as schema.json would.
func typeName(v any) string {
	return reflect.TypeOf(v).Elem().Name()
}

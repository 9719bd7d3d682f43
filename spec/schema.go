package spec

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaJSON is the official schema.json of revision 2026-07-28, as published.
//
//go:embed schema.json
var SchemaJSON []byte

const schemaURL = "https://modelcontextprotocol.io/schema/2026-07-28/schema.json"

var (
	schemaOnce sync.Once
	schemaErr  error
	compiler   *jsonschema.Compiler
	defsMu     sync.Mutex
	defs       = map[string]*jsonschema.Schema{}
)

// noNetwork refuses to load any schema that is not already present: $ref
// values that resolve to a network (or file) URI are never dereferenced.
type noNetwork struct{}

func (noNetwork) Load(url string) (any, error) {
	return nil, fmt.Errorf("refusing to load external schema %s: only local $ref is resolved", url)
}

func loadSchema() {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(SchemaJSON))
	if err != nil {
		schemaErr = fmt.Errorf("parse embedded schema.json: %w", err)
		return
	}
	compiler = jsonschema.NewCompiler()
	compiler.DefaultDraft(jsonschema.Draft2020)
	compiler.UseLoader(noNetwork{})
	if err := compiler.AddResource(schemaURL, doc); err != nil {
		schemaErr = fmt.Errorf("add schema.json: %w", err)
	}
}

// Definition returns the compiled schema of one definition of schema.json
// (e.g. "CallToolResultResponse"). Compiled definitions are cached.
func Definition(name string) (*jsonschema.Schema, error) {
	schemaOnce.Do(loadSchema)
	if schemaErr != nil {
		return nil, schemaErr
	}
	defsMu.Lock()
	defer defsMu.Unlock()
	if s, ok := defs[name]; ok {
		return s, nil
	}
	s, err := compiler.Compile(schemaURL + "#/$defs/" + name)
	if err != nil {
		return nil, fmt.Errorf("compile definition %s: %w", name, err)
	}
	defs[name] = s
	return s, nil
}

// ErrNoDefinition reports a definition name that schema.json lacks.
var ErrNoDefinition = errors.New("no such definition in schema.json")

// Validate checks a JSON document against one definition of schema.json.
func Validate(def string, doc []byte) error {
	s, err := Definition(def)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("does not validate against %s: %w", def, err)
	}
	return nil
}

// CompileSchema compiles a schema a peer sent (a tool's inputSchema or
// outputSchema): JSON Schema 2020-12 unless it names another dialect in
// $schema; $ref is resolved only inside the document.
func CompileSchema(doc []byte) (*jsonschema.Schema, error) {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return nil, fmt.Errorf("schema is not JSON: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(noNetwork{})
	const loc = "urn:mcpverify:peer-schema"
	if err := c.AddResource(loc, v); err != nil {
		return nil, fmt.Errorf("add schema: %w", err)
	}
	s, err := c.Compile(loc)
	if err != nil {
		return nil, fmt.Errorf("compile schema: %w", err)
	}
	return s, nil
}

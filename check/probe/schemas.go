package probe

import (
	"errors"
	"fmt"
	"regexp"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// CompileSchema compiles a published schema. invalid reports a schema that
// is not valid against its dialect's metaschema; other errors (a remote
// $ref the checker does not fetch, a dialect it does not know, a pattern
// in ECMA-262 syntax that Go's regexp cannot read) leave validity
// undecided.
func CompileSchema(doc wire.Value) (s *jsonschema.Schema, invalid bool, err error) {
	s, err = spec.CompileSchema(doc)
	if err == nil {
		return s, false, nil
	}
	var sv *jsonschema.SchemaValidationError
	if !errors.As(err, &sv) {
		return nil, false, err
	}
	var v any
	if wire.Unmarshal(doc, &v) == nil && unreadablePattern(v, 0) {
		return nil, false, fmt.Errorf("a pattern this checker's regexp engine cannot read: %w", err)
	}
	return nil, true, err
}

// unreadablePattern reports a pattern (or patternProperties key) that Go's
// regexp does not compile: ECMA-262 syntax such as lookahead is valid
// JSON Schema that the validator would wrongly reject.
func unreadablePattern(v any, depth int) bool {
	if depth > wire.MaxDepth {
		return false
	}
	switch v := v.(type) {
	case map[string]any:
		if p, ok := v["pattern"].(string); ok {
			if _, err := regexp.Compile(p); err != nil {
				return true
			}
		}
		if pp, ok := v["patternProperties"].(map[string]any); ok {
			for k := range pp {
				if _, err := regexp.Compile(k); err != nil {
					return true
				}
			}
		}
		for _, x := range v {
			if unreadablePattern(x, depth+1) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if unreadablePattern(x, depth+1) {
				return true
			}
		}
	}
	return false
}

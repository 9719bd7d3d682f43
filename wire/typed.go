package wire

import (
	"fmt"

	"github.com/go-json-experiment/json"
)

// Result types (ResultType in schema.json).
const (
	ResultComplete      = "complete"
	ResultInputRequired = "input_required"
)

// DecodeParams decodes raw params of the method strictly into its params
// type. Absent params decode as an empty object. It returns (nil, nil) for
// a method without a typed params type.
func DecodeParams(info *MethodInfo, raw Value) (any, error) {
	if info == nil || info.NewParams == nil {
		return nil, nil
	}
	if len(raw) == 0 {
		raw = Value("{}")
	}
	p := info.NewParams()
	if err := Unmarshal(raw, p); err != nil {
		return nil, fmt.Errorf("%s params: %w", info.Method, err)
	}
	return p, nil
}

// resultKind peeks at the resultType of a result object.
type resultKind struct {
	ResultType *string `json:"resultType"`
}

// DecodeResult decodes a result object of the method strictly: an
// *InputRequiredResult when resultType is "input_required", else the
// method's result type. A missing resultType decodes as the method's
// result type (the model reports the omission). It returns (nil, nil) for
// a nil info or a method without a result type.
func DecodeResult(info *MethodInfo, raw Value) (any, error) {
	if info == nil {
		return nil, nil
	}
	var k resultKind
	if err := Unmarshal(raw, &k); err != nil {
		return nil, fmt.Errorf("%s result: %w", info.Method, err)
	}
	var r any
	switch {
	case k.ResultType != nil && *k.ResultType == ResultInputRequired:
		r = new(InputRequiredResult)
	case info.NewResult != nil:
		r = info.NewResult()
	default:
		return nil, nil
	}
	// raw passed the depth check above.
	if err := json.Unmarshal(raw, r, decodeOpts); err != nil {
		return nil, fmt.Errorf("%s result: %w", info.Method, err)
	}
	if err := checkNames(r); err != nil {
		return nil, fmt.Errorf("%s result: %w", info.Method, err)
	}
	return r, nil
}

package wire

import (
	"fmt"
	"reflect"

	"github.com/go-json-experiment/json"
)

// Result types (ResultType in schema.json).
const (
	ResultComplete      = "complete"
	ResultInputRequired = "input_required"
	// ResultTask ("task") is defined by the tasks extension (types_tasks.go).
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

// DecodeResult decodes a result object of the method strictly: an
// *InputRequiredResult when resultType is "input_required", a
// *CreateTaskResult when it is "task" and the method is task-augmentable,
// else the method's result type. A missing resultType decodes as the method's
// result type (the model reports the omission). It returns (nil, nil) for
// a nil info or a method without a result type.
func DecodeResult(info *MethodInfo, raw Value) (any, error) {
	if info == nil {
		return nil, nil
	}
	if err := checkDepth(raw); err != nil {
		return nil, fmt.Errorf("%s result: %w", info.Method, err)
	}
	key, present, err := tagResultType.readFrom(raw, decodeOpts)
	if err != nil {
		return nil, fmt.Errorf("%s result: %w", info.Method, err)
	}
	var r any
	switch {
	case present && string(key) == ResultInputRequired:
		r = new(InputRequiredResult)
	case present && string(key) == ResultTask && info.TaskAugmentable:
		r = new(CreateTaskResult)
	case info.NewResult != nil:
		r = info.NewResult()
	default:
		// Nothing to decode into: the result is still checked as strictly.
		if _, err := tagResultType.read(raw, decodeOpts); err != nil {
			return nil, fmt.Errorf("%s result: %w", info.Method, err)
		}
		return nil, nil
	}
	if err := json.Unmarshal(raw, r, decodeOptsFor(reflect.TypeOf(r))); err != nil {
		return nil, fmt.Errorf("%s result: %w", info.Method, err)
	}
	if err := checkNames(r); err != nil {
		return nil, fmt.Errorf("%s result: %w", info.Method, err)
	}
	return r, nil
}

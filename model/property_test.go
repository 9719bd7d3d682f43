package model_test

import (
	"testing"

	"github.com/mcpverify/mcpverify/internal/props"
	"pgregory.net/rapid"
)

func TestStepTotal(t *testing.T) { rapid.Check(t, props.ModelStepTotal) }

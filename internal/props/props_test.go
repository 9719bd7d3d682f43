package props

import (
	"testing"

	"pgregory.net/rapid"
)

func TestModelStepTotal(t *testing.T) { rapid.Check(t, ModelStepTotal) }

package sarifschema

import "testing"

// TestValidate: the schema accepts a minimal log and refuses what SARIF
// 2.1.0 does not allow.
func TestValidate(t *testing.T) {
	const ok = `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"error"}]}]}`
	if err := Validate([]byte(ok)); err != nil {
		t.Errorf("a minimal log: %v", err)
	}
	for _, bad := range []string{
		`{"version":"2.0.0","runs":[]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}`,
		`{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}`,
		`{"version":"2.1.0","runs":[],"extra":1}`,
		`not json`,
	} {
		if Validate([]byte(bad)) == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}

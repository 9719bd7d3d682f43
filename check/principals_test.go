package check

import "testing"

// TestSingleUseClaims: the descriptions read as claiming single use.
func TestSingleUseClaims(t *testing.T) {
	for desc, want := range map[string]bool{
		"Each confirmation can be used once: its requestState is redeemed server-side": true,
		"A one-time code":     true,
		"Single-use approval": true,
		"Transfers amount to the account, once the user confirms": false,
		"Runs the job once the data is ready":                     false,
	} {
		if got := singleUseClaim.MatchString(desc); got != want {
			t.Errorf("%q: %v, want %v", desc, got, want)
		}
	}
}

package staterun

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

func RandomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// families returns the mutation keys by family.
func families(ms []Mutation) map[string][]string {
	out := map[string][]string{}
	for _, m := range ms {
		out[m.Family] = append(out[m.Family], m.Key)
	}
	return out
}

// TestStateMutationsSealed: a sealed state (a prefix and Base64url bytes)
// gets every family, each value once and none the original; other
// spellings are marked as such; the keys do not depend on the bytes.
func TestStateMutationsSealed(t *testing.T) {
	s := "s1." + base64.RawURLEncoding.EncodeToString(RandomBytes(t, 58))
	ms := Mutations(s)
	seen := map[string]bool{}
	for _, m := range ms {
		if m.Value == s || seen[m.Value] {
			t.Errorf("%s: value repeated or unchanged", m.Key)
		}
		seen[m.Value] = true
		if m.Family == "respell" && m.Content {
			t.Errorf("%s (%s) changes the content", m.Key, m.What)
		}
		if (m.Family == "truncate" || m.Family == "extend" || m.Family == "case" || m.Family == "empty") && !m.Content {
			t.Errorf("%s (%s) marked as a spelling", m.Key, m.What)
		}
	}
	f := families(ms)
	for _, fam := range []string{"flip", "truncate", "extend", "case", "respell", "empty"} {
		if len(f[fam]) == 0 {
			t.Errorf("no %s mutation of %q", fam, s)
		}
	}
	// Flips of the decoded bytes: first, middle and last, two bits each
	// (one may coincide with a flip of the text's last character).
	n := 0
	for _, k := range f["flip"] {
		if strings.HasPrefix(k, "flip/seg1/") {
			n++
		}
	}
	if n < 5 {
		t.Errorf("%d flips of the decoded segment: %v", n, f["flip"])
	}
	// The same shape, other bytes: the same keys (but for coincidences of
	// a flip with the text's last character).
	other := Mutations("s1." + base64.RawURLEncoding.EncodeToString(RandomBytes(t, 58)))
	keys := map[string]bool{}
	for _, m := range other {
		keys[m.Key] = true
	}
	missing := 0
	for _, m := range ms {
		if !keys[m.Key] {
			missing++
		}
	}
	if missing > 2 {
		t.Errorf("%d keys of one state are missing from another of the same shape", missing)
	}
}

// TestStateMutationsReadable: a Base64 JSON state gets field mutations
// that keep every other byte, and is readable evidence; a JWT gets
// alg "none"; hex gets its other case as a spelling.
func TestStateMutationsReadable(t *testing.T) {
	doc := `{"tool":"transfer","principal":"alice","args":{"amount":5,"to":"bob"},"nonce":"n1"}`
	s := base64.RawURLEncoding.EncodeToString([]byte(doc))
	var fields []string
	for _, m := range Mutations(s) {
		if m.Family != "field" {
			continue
		}
		b, err := base64.RawURLEncoding.DecodeString(m.Value)
		if err != nil || len(b) != len(doc) {
			t.Errorf("%s: %q decodes to %q (%v)", m.Key, m.Value, b, err)
		}
		fields = append(fields, m.What)
	}
	if len(fields) < 4 || !strings.Contains(fields[0], "$.tool") && !strings.Contains(fields[0], "$.principal") {
		t.Errorf("field mutations: %v", fields)
	}
	got := ReadableFields(s, map[string]bool{"transfer": true})
	want := []string{"a tool", "a principal", "an amount"}
	for _, w := range want {
		if !strings.Contains(strings.Join(got, "|"), w) {
			t.Errorf("readable fields %v lack %s", got, w)
		}
	}
	if r := ReadableFields("s1."+base64.RawURLEncoding.EncodeToString(RandomBytes(t, 40)), nil); len(r) != 0 {
		t.Errorf("a sealed state is readable: %v", r)
	}
	jwt := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"alice","path":"/srv/data/a.txt"}`)) + "." +
		base64.RawURLEncoding.EncodeToString(RandomBytes(t, 32))
	f := families(Mutations(jwt))
	if len(f["jwt-none"]) != 1 || len(f["field"]) < 2 {
		t.Errorf("JWT mutations: %v", f)
	}
	if r := ReadableFields(jwt, nil); len(r) < 2 {
		t.Errorf("JWT readable fields: %v", r)
	}
	hx := hex.EncodeToString(RandomBytes(t, 20))
	for _, m := range Mutations(hx) {
		if m.Family == "respell" && (m.Content || m.Value != strings.ToUpper(hx)) {
			t.Errorf("hex respell %s: %q content %v", m.Key, m.Value, m.Content)
		}
	}
}

// TestSameContent: spellings of the same bytes are the same content.
func TestSameContent(t *testing.T) {
	b := RandomBytes(t, 33)
	u := base64.RawURLEncoding.EncodeToString(b)
	for _, v := range []string{base64.URLEncoding.EncodeToString(b), base64.StdEncoding.EncodeToString(b), u[:10] + "\n" + u[10:]} {
		if !SameContent("s1."+u, "s1."+v) {
			t.Errorf("%q and %q differ", u, v)
		}
	}
	if SameContent("s1."+u, "s2."+u) || SameContent(u, u+"A") || SameContent("round=1", "round=2") {
		t.Error("different content reported the same")
	}
}

// TestLifetimeClaims: the lifetimes descriptions are read to state.
func TestLifetimeClaims(t *testing.T) {
	for desc, want := range map[string]time.Duration{
		"A confirmation is bound to the caller and expires after 10 minutes.": 10 * time.Minute,
		"State is valid for 30 s.":  30 * time.Second,
		"TTL: 1500 ms":              1500 * time.Millisecond,
		"Creates a cart.":           0,
		"Retries 3 times.":          0,
		"Expires in 2 hours or so.": 2 * time.Hour,
	} {
		if got, _ := ParseLifetime(desc); got != want {
			t.Errorf("%q: %v, want %v", desc, got, want)
		}
	}
}

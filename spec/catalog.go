package spec

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

//go:generate go run ./internal/gen

// ID names one requirement of the catalog, e.g. "CORE-META-REQUIRED".
// Use the generated constants (ids.go) so that a typo does not compile.
type ID string

// Area is the prefix of an ID: the part of the spec it belongs to.
func (id ID) Area() string {
	a, _, _ := strings.Cut(string(id), "-")
	return a
}

// Level is the force of a requirement (RFC 2119 keywords), or HARDENING
// for checks beyond the letter of the spec.
type Level string

const (
	Must      Level = "MUST"
	MustNot   Level = "MUST NOT"
	Should    Level = "SHOULD"
	ShouldNot Level = "SHOULD NOT"
	May       Level = "MAY"
	Hardening Level = "HARDENING"
)

// Mandatory reports whether breaking the requirement is a failure (MUST,
// MUST NOT) rather than a warning.
func (l Level) Mandatory() bool { return l == Must || l == MustNot }

// Testable says whether a black-box checker can decide the requirement.
type Testable string

const (
	Yes    Testable = "yes"
	Partly Testable = "partly"
	No     Testable = "no"
)

// Requirement is one normative statement that binds a server.
type Requirement struct {
	ID    ID     `json:"id"`
	Level Level  `json:"level"`
	Role  string `json:"role"` // "server" (the catalog lists what binds servers)
	// Source is the page (relative to docs/, e.g. "basic/index.mdx") and
	// Section its heading.
	Source  string `json:"source"`
	Section string `json:"section"`
	// Text paraphrases the statement in one line.
	Text string `json:"text"`
	// Applies states the condition under which the rule binds, where it
	// binds only some servers (e.g. "servers that serve only 2026-07-28").
	Applies  string   `json:"applies,omitempty"`
	Testable Testable `json:"testable"`
	// Why explains a testable value of partly or no.
	Why string `json:"why,omitempty"`
}

//go:embed catalog.json
var catalogJSON []byte

var catalog []Requirement
var byID map[ID]*Requirement

func init() {
	var err error
	catalog, err = parseCatalog(catalogJSON)
	if err != nil {
		panic("spec: embedded catalog.json: " + err.Error())
	}
	byID = make(map[ID]*Requirement, len(catalog))
	for i := range catalog {
		byID[catalog[i].ID] = &catalog[i]
	}
}

// Areas are the ID prefixes, in report order.
var Areas = []string{"CORE", "HTTP", "STDIO", "STATE", "AUTH", "FILES", "TASKS", "APPS"}

var levels = map[Level]bool{Must: true, MustNot: true, Should: true, ShouldNot: true, May: true, Hardening: true}

// parseCatalog decodes and checks a catalog: known levels and areas,
// unique IDs, every field present, a reason for partly/no.
func parseCatalog(data []byte) ([]Requirement, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var reqs []Requirement
	if err := dec.Decode(&reqs); err != nil {
		return nil, err
	}
	seen := map[ID]bool{}
	for _, r := range reqs {
		switch {
		case seen[r.ID]:
			return nil, fmt.Errorf("duplicate id %s", r.ID)
		case !validID(r.ID):
			return nil, fmt.Errorf("id %q: want AREA-WORD[-WORD...] in capitals, area one of %v", r.ID, Areas)
		case !levels[r.Level]:
			return nil, fmt.Errorf("%s: unknown level %q", r.ID, r.Level)
		case r.Role != "server":
			return nil, fmt.Errorf("%s: role %q; the catalog lists server requirements", r.ID, r.Role)
		case r.Source == "" || r.Section == "" || r.Text == "":
			return nil, fmt.Errorf("%s: source, section and text are required", r.ID)
		case r.Testable != Yes && r.Testable != Partly && r.Testable != No:
			return nil, fmt.Errorf("%s: testable %q; want yes, partly or no", r.ID, r.Testable)
		case r.Testable != Yes && r.Why == "":
			return nil, fmt.Errorf("%s: testable %s needs a reason in why", r.ID, r.Testable)
		}
		seen[r.ID] = true
	}
	return reqs, nil
}

func validID(id ID) bool {
	parts := strings.Split(string(id), "-")
	if len(parts) < 2 {
		return false
	}
	okArea := false
	for _, a := range Areas {
		okArea = okArea || parts[0] == a
	}
	if !okArea {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
		for _, c := range p {
			if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				return false
			}
		}
	}
	return true
}

// Lookup returns the requirement with the given ID.
func Lookup(id ID) (Requirement, bool) {
	r, ok := byID[id]
	if !ok {
		return Requirement{}, false
	}
	return *r, true
}

// MustLookup is Lookup for IDs known to exist (the generated constants);
// it panics on an unknown ID.
func MustLookup(id ID) Requirement {
	r, ok := byID[id]
	if !ok {
		panic("spec: unknown requirement " + string(id))
	}
	return *r
}

// All returns every requirement, sorted by ID.
func All() []Requirement {
	out := append([]Requirement(nil), catalog...)
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// ConstName is the Go constant name of an ID: "CORE-META-REQUIRED" →
// "CoreMetaRequired".
func ConstName(id ID) string {
	var b strings.Builder
	for _, p := range strings.Split(string(id), "-") {
		b.WriteString(p[:1])
		b.WriteString(strings.ToLower(p[1:]))
	}
	return b.String()
}

package wire

import (
	"errors"
	"slices"
	"strings"
)

// Challenge is one challenge of a WWW-Authenticate header field (RFC 9110
// section 11.6.1): an auth scheme and its parameters (names lower-cased,
// quoted values unquoted) or its token68.
type Challenge struct {
	Scheme  string
	Params  map[string]string
	Token68 string
}

// Param returns the parameter name (case-insensitive) and whether the
// challenge has it.
func (c Challenge) Param(name string) (string, bool) {
	v, ok := c.Params[strings.ToLower(name)]
	return v, ok
}

// maxChallengeBytes bounds what ParseChallenges reads.
const maxChallengeBytes = 16 << 10

// ErrChallenge reports a WWW-Authenticate value that is not a list of
// challenges.
var ErrChallenge = errors.New("malformed WWW-Authenticate challenge")

// ParseChallenges parses the challenges of WWW-Authenticate field values
// (several values form one list, RFC 9110 section 5.3). It returns the
// challenges read before the first malformed one with ErrChallenge, and
// refuses values longer than 16 KiB in all.
func ParseChallenges(values ...string) ([]Challenge, error) {
	s := strings.Join(values, ", ")
	if len(s) > maxChallengeBytes {
		return nil, ErrChallenge
	}
	p := challengeParser{s: s}
	var out []Challenge
	for {
		p.skipListSeparators()
		if p.done() {
			return out, nil
		}
		c, ok := p.challenge()
		if !ok {
			return out, ErrChallenge
		}
		out = append(out, c)
	}
}

// BearerChallenge returns the first Bearer challenge of h's
// WWW-Authenticate fields (any case of the name and of the scheme).
func BearerChallenge(h map[string][]string) (Challenge, bool) {
	cs, _ := ParseChallenges(HeaderValues(h, "WWW-Authenticate")...)
	for _, c := range cs {
		if strings.EqualFold(c.Scheme, "Bearer") {
			return c, true
		}
	}
	return Challenge{}, false
}

type challengeParser struct {
	s string
	i int
}

func (p *challengeParser) done() bool { return p.i >= len(p.s) }

func (p *challengeParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *challengeParser) skipListSeparators() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == ',') {
		p.i++
	}
}

func (p *challengeParser) token() string {
	j := p.i
	for p.i < len(p.s) && isTchar(p.s[p.i]) {
		p.i++
	}
	return p.s[j:p.i]
}

// challenge reads auth-scheme [ 1*SP ( token68 / #auth-param ) ].
func (p *challengeParser) challenge() (Challenge, bool) {
	c := Challenge{Scheme: p.token()}
	if c.Scheme == "" {
		return c, false
	}
	if p.done() || p.s[p.i] == ',' {
		return c, true
	}
	if p.s[p.i] != ' ' && p.s[p.i] != '\t' {
		return c, false
	}
	p.skipSpace()
	if p.done() || p.s[p.i] == ',' {
		return c, true
	}
	// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
	// (an auth-param starts with a token followed by "=" and a value).
	if t, ok := p.token68(); ok {
		c.Token68 = t
		return c, true
	}
	c.Params = map[string]string{}
	for {
		save := p.i
		name := p.token()
		p.skipSpace()
		if name == "" || p.done() || p.s[p.i] != '=' {
			// The next challenge starts here (its scheme was read as name).
			p.i = save
			return c, len(c.Params) > 0
		}
		p.i++
		p.skipSpace()
		v, ok := p.value()
		if !ok {
			return c, false
		}
		if _, dup := c.Params[strings.ToLower(name)]; dup {
			return c, false // RFC 9110: each parameter name only once
		}
		c.Params[strings.ToLower(name)] = v
		p.skipSpace()
		if p.done() {
			return c, true
		}
		if p.s[p.i] != ',' {
			return c, false
		}
		p.skipListSeparators()
		if p.done() {
			return c, true
		}
	}
}

// token68 reads a token68 when it is the whole challenge's credentials
// (followed by the end or a comma), else leaves the position alone.
func (p *challengeParser) token68() (string, bool) {
	j := p.i
	for j < len(p.s) && (isAlnum(p.s[j]) || strings.IndexByte("-._~+/", p.s[j]) >= 0) {
		j++
	}
	if j == p.i {
		return "", false
	}
	k := j
	for k < len(p.s) && p.s[k] == '=' {
		k++
	}
	e := k
	for e < len(p.s) && (p.s[e] == ' ' || p.s[e] == '\t') {
		e++
	}
	if e < len(p.s) && p.s[e] != ',' {
		return "", false
	}
	t := p.s[p.i:k]
	p.i = e
	return t, true
}

// value reads a token or a quoted-string (with quoted-pairs).
func (p *challengeParser) value() (string, bool) {
	if p.done() {
		return "", false
	}
	if p.s[p.i] != '"' {
		t := p.token()
		return t, t != ""
	}
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		ch := p.s[p.i]
		switch {
		case ch == '"':
			p.i++
			return b.String(), true
		case ch == '\\' && p.i+1 < len(p.s):
			// quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
			if q := p.s[p.i+1]; q < 0x20 && q != '\t' || q == 0x7f {
				return "", false
			}
			b.WriteByte(p.s[p.i+1])
			p.i += 2
		case ch == '\\', ch < 0x20 && ch != '\t', ch == 0x7f:
			return "", false
		default:
			b.WriteByte(ch)
			p.i++
		}
	}
	return "", false
}

// String formats the challenge (parameters sorted by name, values
// quoted), in a form ParseChallenges reads back.
func (c Challenge) String() string {
	if c.Token68 != "" {
		return c.Scheme + " " + c.Token68
	}
	names := make([]string, 0, len(c.Params))
	for k := range c.Params {
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	b.WriteString(c.Scheme)
	for i, k := range names {
		if i == 0 {
			b.WriteByte(' ')
		} else {
			b.WriteString(", ")
		}
		b.WriteString(k + `="`)
		for _, r := range []byte(c.Params[k]) {
			if r == '"' || r == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(r)
		}
		b.WriteByte('"')
	}
	return b.String()
}

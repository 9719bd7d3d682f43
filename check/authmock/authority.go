package authmock

import "github.com/mcpverify/mcpverify/check"

// The mock is the checker's authority (check.Options.Authority).
var _ check.Authority = (*Server)(nil)

// AuthCases is Cases(resource), its correct tokens carrying scope, as the
// checker's matrix.
func (s *Server) AuthCases(resource, scope string) []check.AuthCase {
	cs := s.cases(resource, scope)
	out := make([]check.AuthCase, len(cs))
	for i, c := range cs {
		out[i] = check.AuthCase{Name: c.Name, Description: c.Description, Principal: c.Principal, Apply: c.Apply}
	}
	return out
}

// Token mints a correct RS256 token for subject at resource with scope.
func (s *Server) Token(subject, resource, scope string) (string, error) {
	return s.Mint(Claims{Subject: subject, Resource: resource, Scope: scope}, None)
}

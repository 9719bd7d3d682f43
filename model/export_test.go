package model

// SetStrictRuleIDs makes a rule that judges or reports a requirement its
// row of the rule table does not list panic, for every test of the model.
func SetStrictRuleIDs(on bool) { strictRuleIDs = on }

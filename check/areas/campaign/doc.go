// Package campaign is the generated campaign: a gopter state-machine test
// against the live server, drawn from the model's enabled actions and the
// server's declarations, judged by the model, with failures shrunk to a
// minimal trace. It runs after every other check (check.Check.Last).
package campaign

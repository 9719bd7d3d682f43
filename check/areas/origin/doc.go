// Package origin checks the defences against DNS rebinding: a hostile
// Origin gets 403 (HTTP-ORIGIN); beyond the spec, a local server refuses
// a foreign Host and answers no CORS preflight with a wildcard.
package origin

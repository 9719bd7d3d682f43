// Package exposure checks what a server shows to whom
// (server/utilities/caching.mdx, "Cache Scope Field" and "Security
// Considerations"; server/tools.mdx, lists that vary by authorization):
// with two principals, results marked "public" that differ between them
// (CORE-CACHE-PUBLIC-AWARE), primitives listed for one principal and
// served to the other (CORE-UNLISTED-SERVED, hardening) or served to a
// principal the --hints forbid them to (CORE-CACHE-SCOPE-NOT-ACL), and
// the completion of a prompt's or template's argument served to the
// principal it is not listed for (CORE-COMPLETION-DISCLOSURE) or that the
// --hints forbid it to (CORE-COMPLETION-ACCESS)
// (server/utilities/completion.mdx, "Security"); and, on a server that
// refuses invalid credentials, what it serves to a caller without any
// (AUTH-EXPOSURE, hardening).
package exposure

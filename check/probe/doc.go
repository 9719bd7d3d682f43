// Package probe is what the check areas share for probing a server: the
// probe skeleton (a request the server served first, Served; the mutated
// copies judged one by one, Family, or tallied into one verdict, Sweep;
// a header the server must ignore, HeaderIgnored; ExpectStatus, Tally), request building for tools, prompts and
// resources, the mirrored-header mutation families, the hostile Origin and
// Host families, and the client side of multi round-trip requests
// (Retryable, Follow).
package probe

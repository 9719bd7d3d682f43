// Package auth checks the server as an OAuth resource server
// (basic/authorization): its Protected Resource Metadata and its 401
// challenge. The token matrix of the mock authorization server
// (check/authmock) is not run by a check yet.
package auth

package wire

import (
	"strconv"
	"strings"
)

// URIProblem says what keeps uri from the generic syntax of RFC 3986
// (section 3) ("" if nothing): a scheme
// (a letter, then letters, digits, +, - and .), a colon, then only
// unreserved, reserved and percent-encoded characters.
func URIProblem(uri string) string {
	i := strings.IndexByte(uri, ':')
	if i <= 0 {
		return "no scheme"
	}
	for j := 0; j < i; j++ {
		b := uri[j]
		if !(isAlpha(b) || (j > 0 && (isDigit(b) || b == '+' || b == '-' || b == '.'))) {
			return "the scheme is not a letter followed by letters, digits, +, - or ."
		}
	}
	for j := i + 1; j < len(uri); j++ {
		b := uri[j]
		switch {
		case isAlpha(b) || isDigit(b) || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=", b) >= 0:
		case b == '%':
			if j+2 >= len(uri) || !isHex(uri[j+1]) || !isHex(uri[j+2]) {
				return "a % that does not start a percent-encoded octet"
			}
			j += 2
		default:
			return "the character " + strconv.Quote(string(rune(b))) + ", which RFC 3986 does not allow unencoded"
		}
	}
	return ""
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }
func isHex(b byte) bool   { return isDigit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F') }

package waffle

import (
	"net/http"
	"net/url"
	"strings"
)

// Cookie, header and query names of a flag, and the request lookups that
// evaluation makes.
//
// A flag's percent cookie is Config.Cookie.NameFormat with the flag's cookie
// form for %s ("dwf_beta"), its testing cookie Config.Cookie.TestNameFormat
// the same way ("dwft_beta"), and its testing header the testing cookie's
// name with every "_" replaced by "-" ("dwft-beta", matched without regard to
// case, as HTTP header names are).
//
// The cookie form of a flag name: a name made only of RFC 6265 token
// characters (letters, digits and !#$%&'*+-.^_`|~) that does not start with
// "~" is used as it is. Any other name is written as "~" followed by the
// name's UTF-8 bytes with every byte other than A-Z, a-z, 0-9, "-", "." and
// "_" percent-encoded as %XX with upper-case hex: "new checkout" becomes
// "~new%20checkout", "café" "~caf%C3%A9", "~x" "~%7Ex". The encoding is
// reversible, and no two names share a cookie: encoded forms start with "~"
// and names used as they are never do.
//
// The testing query parameter and the override parameter use the raw flag
// name (the client URL-encodes it): ?dwft_new%20checkout=1.
//
// Bad input never breaks evaluation: a cookie sent twice under one name, a
// cookie or header value over maxInputValue bytes, or a query pair that
// cannot be decoded counts as absent; any value other than the one meaning
// "on" ("True" for cookies, "1" for the query and header) is off.

// maxInputValue is the longest cookie, header or query value evaluation
// reads; a longer one counts as absent.
const maxInputValue = 1024

// percentCookieName returns the name of flag's percent cookie ("dwf_beta").
func (s *Store) percentCookieName(flag string) string {
	return formatName(s.cfg.Cookie.NameFormat, cookieForm(flag))
}

// testCookieName returns the name of flag's testing cookie ("dwft_beta").
func (s *Store) testCookieName(flag string) string {
	return formatName(s.cfg.Cookie.TestNameFormat, cookieForm(flag))
}

// formatName substitutes name for the one %s of format (Config validates
// that there is exactly one and no other verb), without fmt.
func formatName(format, name string) string {
	before, after, _ := strings.Cut(format, "%s")
	return before + name + after
}

// cookieForm returns flag's form in cookie and header names: flag itself when
// it is made of token characters and does not start with "~", else "~" and
// its percent-encoded bytes.
func cookieForm(flag string) string {
	if plainCookieForm(flag) {
		return flag
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(1 + 3*len(flag))
	b.WriteByte('~')
	for i := 0; i < len(flag); i++ {
		c := flag[i]
		if isUnreserved(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xF])
	}
	return b.String()
}

// plainCookieForm reports whether flag is used as it is in cookie names.
func plainCookieForm(flag string) bool {
	if flag == "" || flag[0] == '~' {
		return false
	}
	for i := 0; i < len(flag); i++ {
		if !isTokenChar(flag[i]) {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c is an RFC 7230/6265 token character.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isUnreserved reports whether c stays as it is inside an encoded name.
func isUnreserved(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return c == '-' || c == '.' || c == '_'
}

// nameMatcher matches a formatted name (format with a flag's form for %s)
// against candidates from a request without building the name: for a plain
// name, matching allocates nothing.
type nameMatcher struct {
	prefix, flag, suffix string
	header               bool // "_" and "-" are the same, case is ignored
}

func newNameMatcher(format, flagForm string, header bool) nameMatcher {
	before, after, _ := strings.Cut(format, "%s")
	return nameMatcher{prefix: before, flag: flagForm, suffix: after, header: header}
}

// match reports whether candidate is the formatted name.
func (m *nameMatcher) match(candidate string) bool {
	if len(candidate) != len(m.prefix)+len(m.flag)+len(m.suffix) {
		return false
	}
	return m.equal(candidate[:len(m.prefix)], m.prefix) &&
		m.equal(candidate[len(m.prefix):len(m.prefix)+len(m.flag)], m.flag) &&
		m.equal(candidate[len(m.prefix)+len(m.flag):], m.suffix)
}

func (m *nameMatcher) equal(a, b string) bool {
	if !m.header {
		return a == b
	}
	for i := 0; i < len(a); i++ {
		if foldHeader(a[i]) != foldHeader(b[i]) {
			return false
		}
	}
	return true
}

// foldHeader maps a header name byte to its case- and dash-insensitive form.
func foldHeader(c byte) byte {
	if c == '_' {
		return '-'
	}
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}

// lookupCookie returns the value of the cookie m matches in r. ok is false
// when there is no such cookie, when it is sent more than once, and when its
// value is longer than maxInputValue. A value in double quotes is unquoted,
// as net/http does. Nothing is allocated.
func lookupCookie(r *http.Request, m *nameMatcher) (value string, ok bool) {
	found := 0
	for _, line := range r.Header["Cookie"] {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			name, val, hasEq := strings.Cut(part, "=")
			if !hasEq || !m.match(name) {
				continue
			}
			found++
			value = val
		}
	}
	if found != 1 || len(value) > maxInputValue {
		return "", false
	}
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	return value, true
}

// hasCookies reports whether r carries any cookie header.
func hasCookies(r *http.Request) bool { return len(r.Header["Cookie"]) > 0 }

// lookupHeader returns the value of the header m matches in r (header
// matcher: case and "_"/"-" ignored). ok is false when it is absent; a header
// sent more than once, or longer than maxInputValue, is present with an empty
// value, which is off (Django would see the values joined by commas).
func lookupHeader(r *http.Request, m *nameMatcher) (value string, ok bool) {
	for key, vals := range r.Header {
		if !m.match(key) || len(vals) == 0 {
			continue
		}
		if ok || len(vals) != 1 || len(vals[0]) > maxInputValue {
			return "", true
		}
		value, ok = vals[0], true
	}
	return value, ok
}

// lookupQuery returns the last value of the query parameter m matches in
// rawQuery, as Django's QueryDict does for a repeated parameter. Pairs are
// split on "&" only: "?f=1;x=2" gives f the value "1;x=2", as Django does. Keys and
// values are URL-decoded (with "+" as a space); a pair that cannot be decoded,
// or whose value is longer than maxInputValue, is skipped. A parameter with no
// "=" is present with an empty value. Plain keys allocate nothing.
func lookupQuery(rawQuery string, m *nameMatcher) (value string, ok bool) {
	for len(rawQuery) > 0 {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" {
			continue
		}
		// A ";" is part of the key or value, as in Django's QueryDict
		// (net/url's ParseQuery rejects the pair instead).
		key, val, _ := strings.Cut(pair, "=")
		if needsUnescape(key) {
			k, err := url.QueryUnescape(key)
			if err != nil {
				continue
			}
			key = k
		}
		if !m.match(key) || len(val) > 3*maxInputValue {
			continue
		}
		if needsUnescape(val) {
			v, err := url.QueryUnescape(val)
			if err != nil {
				continue
			}
			val = v
		}
		if len(val) > maxInputValue {
			continue
		}
		value, ok = val, true
	}
	return value, ok
}

func needsUnescape(s string) bool {
	return strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '+') >= 0
}

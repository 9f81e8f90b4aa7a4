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
// Cookies are parsed as Django parses them: spaces around a cookie's name and
// value are ignored ("dwft_beta= True" is "True").
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

// foldHeaderName returns name with every byte folded by foldHeader, without
// allocating when it is already folded.
func foldHeaderName(name string) string {
	for i := 0; i < len(name); i++ {
		if foldHeader(name[i]) != name[i] {
			b := []byte(name)
			for j := i; j < len(b); j++ {
				b[j] = foldHeader(b[j])
			}
			return string(b)
		}
	}
	return name
}

// A request's cookies, headers and query parameters are parsed once, the
// first time an evaluation needs them (see requestState), so that a request
// costs time linear in the number of flags plus the size of its input, however
// many flags it evaluates.

// inputValue is one name's value in a parsed request input. A name whose
// value must count as absent (a cookie sent twice, an oversized cookie) or as
// present and off (a header sent twice) has ok false.
type inputValue struct {
	value string
	ok    bool
}

// cookieJar is a request's Cookie headers parsed: the value of each cookie
// name, values being substrings of the header.
type cookieJar map[string]inputValue

// parseCookies parses the Cookie header lines as Django does (RFC 6265
// section 5.2): pairs separated by ";", the name before the first "=", and
// spaces around the name and around the value trimmed ("dwft_beta= True" is
// "True"). A pair without "=" is ignored. A value in double quotes is
// unquoted, as net/http does. A name sent more than once, or whose value is
// longer than maxInputValue, counts as absent.
func parseCookies(lines []string) cookieJar {
	n := 0
	for _, line := range lines {
		n += strings.Count(line, ";") + 1
	}
	jar := make(cookieJar, n)
	for _, line := range lines {
		for len(line) > 0 {
			var part string
			part, line, _ = strings.Cut(line, ";")
			name, val, hasEq := strings.Cut(part, "=")
			if !hasEq {
				continue
			}
			name, val = strings.TrimSpace(name), strings.TrimSpace(val)
			if _, dup := jar[name]; dup {
				jar[name] = inputValue{}
				continue
			}
			if len(val) > maxInputValue {
				jar[name] = inputValue{}
				continue
			}
			if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			jar[name] = inputValue{value: val, ok: true}
		}
	}
	return jar
}

// hasCookies reports whether r carries any cookie header.
func hasCookies(r *http.Request) bool { return len(r.Header["Cookie"]) > 0 }

// get returns the value of the cookie called name; ok is false when it is
// absent, sent more than once or oversized.
func (j cookieJar) get(name string) (value string, ok bool) {
	v := j[name]
	return v.value, v.ok
}

// headerJar is a request's headers by folded name (see foldHeader).
type headerJar map[string]inputValue

// parseHeaders indexes h by folded name. A name present under two spellings,
// with several values, or with a value longer than maxInputValue is present
// with an empty value, which is off (Django would see the values joined by
// commas).
func parseHeaders(h http.Header) headerJar {
	jar := make(headerJar, len(h))
	for key, vals := range h {
		if len(vals) == 0 {
			continue
		}
		f := foldHeaderName(key)
		if _, dup := jar[f]; dup || len(vals) != 1 || len(vals[0]) > maxInputValue {
			jar[f] = inputValue{ok: true}
			continue
		}
		jar[f] = inputValue{value: vals[0], ok: true}
	}
	return jar
}

// get returns the value of the header called name, matched without regard to
// case or to "_" and "-"; ok is false when it is absent.
func (j headerJar) get(name string) (value string, ok bool) {
	v, ok := j[foldHeaderName(name)]
	return v.value, ok
}

// queryJar is a request's query parameters: each decoded key's last value.
type queryJar map[string]string

// parseQuery parses rawQuery keeping the last value of each parameter, as
// Django's QueryDict does for a repeated parameter. Pairs are split on "&"
// only: "?f=1;x=2" gives f the value "1;x=2", as Django does. Keys and values
// are URL-decoded (with "+" as a space); a pair that cannot be decoded, or
// whose value is longer than maxInputValue, is skipped. A parameter with no
// "=" is present with an empty value.
func parseQuery(rawQuery string) queryJar {
	jar := queryJar{}
	for len(rawQuery) > 0 {
		var pair string
		pair, rawQuery, _ = strings.Cut(rawQuery, "&")
		if pair == "" {
			continue
		}
		// A ";" is part of the key or value, as in Django's QueryDict
		// (net/url's ParseQuery rejects the pair instead).
		key, val, _ := strings.Cut(pair, "=")
		if len(val) > 3*maxInputValue {
			continue
		}
		if needsUnescape(key) {
			k, err := url.QueryUnescape(key)
			if err != nil {
				continue
			}
			key = k
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
		jar[key] = val
	}
	return jar
}

// get returns the last value of the parameter called name.
func (j queryJar) get(name string) (value string, ok bool) {
	value, ok = j[name]
	return value, ok
}

func needsUnescape(s string) bool {
	return strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '+') >= 0
}

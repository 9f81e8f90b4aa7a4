package main

import (
	"cmp"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// A redactor removes database passwords from what the command prints. It
// knows the passwords of every DSN the command was given (arguments and
// environment) and replaces each occurrence of them, in any form a driver may
// echo (as given, decoded, quoted), then masks what still looks like one
// (user:...@ in a URL, password=... in a DSN): driver errors may echo a DSN.
type redactor struct {
	secrets []string // longest first
	marker  string   // what replaces them: shares no character with any
}

// markers are the replacements tried in turn: the first that shares no
// character with a password is used, so a replacement cannot form one.
var markers = []string{"xxxxx", "*****", "#####", "~~~~~", "_____"}

func newRedactor(sources ...string) *redactor {
	r := &redactor{}
	for _, s := range sources {
		for _, p := range passwords(s) {
			for _, v := range variants(p) {
				if v != "" && !slices.Contains(r.secrets, v) {
					r.secrets = append(r.secrets, v)
				}
			}
		}
	}
	slices.SortFunc(r.secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	for _, m := range markers {
		if !slices.ContainsFunc(r.secrets, func(s string) bool { return strings.ContainsAny(s, m) }) {
			r.marker = m
			break
		}
	}
	return r
}

// String returns s with the passwords removed.
func (r *redactor) String(s string) string {
	if r == nil {
		return s
	}
	for range 8 { // an empty marker may join pieces into a new occurrence
		before := s
		for _, sec := range r.secrets {
			s = strings.ReplaceAll(s, sec, r.marker)
		}
		s = urlPasswordRE.ReplaceAllString(s, "${1}"+r.marker+"@")
		s = keyPasswordRE.ReplaceAllString(s, "${1}"+r.marker)
		if s == before && !r.leaks(s) {
			return s
		}
	}
	if r.leaks(s) {
		return "(message hidden: it held a database password)"
	}
	return s
}

func (r *redactor) leaks(s string) bool {
	return slices.ContainsFunc(r.secrets, func(sec string) bool { return strings.Contains(s, sec) })
}

// Writer returns w with the passwords removed from each Write (the command
// and its logger write whole lines).
func (r *redactor) Writer(w io.Writer) io.Writer { return redactWriter{r: r, w: w} }

type redactWriter struct {
	r *redactor
	w io.Writer
}

func (rw redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(rw.w, rw.r.String(string(p))); err != nil {
		return 0, err
	}
	return len(p), nil
}

var (
	// urlPasswordRE matches the user and password of a URL, up to the last
	// @ of the word (a password may hold @ and :).
	urlPasswordRE = regexp.MustCompile(`(?i)([a-z][a-z0-9+.-]*://[^:/?#\s@]*:)\S*@`)
	// keyPasswordRE matches password=VALUE (key/value DSNs, URL queries;
	// sslpassword too), VALUE quoted or not.
	keyPasswordRE = regexp.MustCompile(`(?i)(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&'"]*[^\s&'":])`)
	// keyValueRE finds password keys in a key/value DSN or URL query.
	keyValueRE = regexp.MustCompile(`(?i)password\s*=\s*(?:'((?:[^'\\]|\\.)*)'|([^\s&]+))`)
)

// passwords returns the passwords s holds if it is a DSN: the user
// information of a URL (for every @, since a password may hold one), the
// password query parameters and password= keys. Anything else yields none.
func passwords(s string) []string {
	var out []string
	if _, rest, ok := strings.Cut(s, "://"); ok {
		for i := range len(rest) {
			if rest[i] != '@' {
				continue
			}
			if _, pw, ok := strings.Cut(rest[:i], ":"); ok {
				out = append(out, pw)
			}
		}
	}
	for _, m := range keyValueRE.FindAllStringSubmatch(s, -1) {
		if m[1] != "" {
			out = append(out, m[1], unescapeLibpq(m[1]))
		} else {
			out = append(out, m[2], strings.Trim(m[2], `'"`))
		}
	}
	return out
}

// variants returns p and the forms a driver may print it in: URL-decoded,
// Go-quoted, libpq-quoted.
func variants(p string) []string {
	out := []string{p}
	if d, err := url.PathUnescape(p); err == nil {
		out = append(out, d)
	}
	if d, err := url.QueryUnescape(p); err == nil {
		out = append(out, d)
	}
	for _, v := range slices.Clone(out) {
		q := strconv.Quote(v)
		out = append(out, q[1:len(q)-1], url.QueryEscape(v), url.PathEscape(v),
			strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v))
	}
	return out
}

// unescapeLibpq undoes the backslash escapes of a quoted key/value DSN value.
func unescapeLibpq(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// displayTarget returns target for a message: a PostgreSQL DSN without its
// password, a SQLite path as it is.
func displayTarget(target string) string {
	return newRedactor(target).String(target)
}

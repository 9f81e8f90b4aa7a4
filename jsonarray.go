package waffle

import (
	"strings"
	"unicode/utf8"
)

// jsonStringArray encodes values as a JSON array of strings, the form in which
// lists reach SQL on both databases (json_each on SQLite,
// jsonb_array_elements_text on PostgreSQL): one encoder, no reflection, and
// no dependence on a driver's array support. Values that are not valid
// UTF-8 or contain NUL are left out (PostgreSQL refuses them), and with
// onlyNames those that break the name rule: no stored name or ID can equal
// them.
func jsonStringArray(values []string, onlyNames bool) string {
	if len(values) == 0 {
		return "[]"
	}
	n := 2
	for _, v := range values {
		n += len(v) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	first := true
	for _, v := range values {
		if !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 || onlyNames && nameProblem(v) != "" {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONStringBytes(b, v)
	}
	b = append(b, ']')
	return string(b)
}

// appendJSONStringBytes appends v as a JSON string literal.
func appendJSONStringBytes(b []byte, v string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

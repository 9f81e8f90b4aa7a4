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
		b = appendJSONString(b, v)
	}
	b = append(b, ']')
	return string(b)
}

// appendJSONString appends v, valid UTF-8, as a JSON string literal: runs of
// plain bytes are copied whole; '"', '\\' and control characters escaped.
func appendJSONString(b []byte, v string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, v[start:i]...)
		if c == '"' || c == '\\' {
			b = append(b, '\\', c)
		} else {
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		}
		start = i + 1
	}
	b = append(b, v[start:]...)
	return append(b, '"')
}

package waffle

import (
	"database/sql/driver"
	"errors"
	"strings"
)

// LanguageList is a flag's languages, stored in one text column as
// comma-separated codes ("en,fr,de-at"). Spaces around each code are
// ignored when read, as django-waffle does: a stored "en, fr ,de-at" is
// en, fr and de-at.
type LanguageList []string

// Value joins the codes with commas, trimmed, empty ones left out.
func (l LanguageList) Value() (driver.Value, error) {
	var b strings.Builder
	for _, code := range l {
		code = strings.TrimSpace(code)
		if code == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(code)
	}
	return b.String(), nil
}

// Scan splits stored comma-separated text.
func (l *LanguageList) Scan(src any) error {
	var text string
	switch v := src.(type) {
	case nil:
	case string:
		text = v
	case []byte:
		text = string(v)
	default:
		return errors.New("waffle: languages: cannot scan a non-text value")
	}
	out := LanguageList{}
	for text != "" {
		var code string
		code, text, _ = strings.Cut(text, ",")
		if code = strings.TrimSpace(code); code != "" {
			out = append(out, code)
		}
	}
	*l = out
	return nil
}

// languageListed reports whether lang is exactly one of the comma-separated
// codes in stored, spaces around codes ignored. It allocates nothing.
func languageListed(stored, lang string) bool {
	if lang == "" {
		return false
	}
	for stored != "" {
		var code string
		code, stored, _ = strings.Cut(stored, ",")
		if strings.TrimSpace(code) == lang {
			return true
		}
	}
	return false
}

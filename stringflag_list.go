package waffle

import (
	"context"
	"database/sql"
	"time"
)

// StringFlag is one stored string flag, as [Store.ListStringFlags] returns
// it.
type StringFlag struct {
	Name     string    `json:"name"`
	Value    *string   `json:"value"` // nil for a NULL value, which reads as missing
	Created  time.Time `json:"created"`
	Modified time.Time `json:"modified"`
}

// ListStringFlags returns every string flag, NULL values included, ordered by
// name (byte order on every database).
func (s *Store) ListStringFlags(ctx context.Context) ([]StringFlag, error) {
	rows, err := s.query(ctx, s.pool(), "string_flag_list")
	if err != nil {
		return nil, opError("listing", "string flags", "", err)
	}
	defer rows.Close()
	var out []StringFlag
	for rows.Next() {
		var f StringFlag
		var v sql.NullString
		if err := rows.Scan(&f.Name, &v, &f.Created, &f.Modified); err != nil {
			return nil, opError("listing", "string flags", "", err)
		}
		if v.Valid {
			f.Value = &v.String
		}
		f.Created, f.Modified = f.Created.UTC(), f.Modified.UTC()
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, opError("listing", "string flags", "", err)
	}
	return out, nil
}

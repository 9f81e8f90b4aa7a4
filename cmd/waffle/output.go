package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"
)

// table prints aligned columns for people.
type table struct {
	w   io.Writer
	buf bytes.Buffer
	tw  *tabwriter.Writer
}

func newTable(w io.Writer, header ...string) *table {
	t := &table{w: w}
	t.tw = tabwriter.NewWriter(&t.buf, 0, 0, 2, ' ', 0)
	t.row(header...)
	return t
}

// row prints one row. Cells with tabs, newlines or other control characters
// are quoted so that they cannot break the columns.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		if i > 0 {
			_, _ = io.WriteString(t.tw, "\t")
		}
		_, _ = io.WriteString(t.tw, cell(c))
	}
	_, _ = io.WriteString(t.tw, "\n")
}

// flush writes the table, without the padding at the ends of lines.
func (t *table) flush() error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	var out bytes.Buffer
	for line := range bytes.Lines(t.buf.Bytes()) {
		out.Write(bytes.TrimRight(line, " \n"))
		out.WriteByte('\n')
	}
	_, err := t.w.Write(out.Bytes())
	return err
}

func cell(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return strconv.Quote(s)
	}
	return s
}

// writeJSON prints v as indented JSON, for scripts.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// formatTime prints a time in listings: RFC 3339 in UTC, to the second.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

// onOff prints a bool as on or off.
func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// printf writes to the command's output.
func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.stdout, format, args...)
}

// printList prints rows as a table under header, or as a JSON array (never
// null) for scripts.
func printList[R any](a *app, asJSON bool, rows []R, header []string, row func(R) []string) error {
	if asJSON {
		if rows == nil {
			rows = []R{}
		}
		return writeJSON(a.stdout, rows)
	}
	t := newTable(a.stdout, header...)
	for _, r := range rows {
		t.row(row(r)...)
	}
	return t.flush()
}

// printOne prints one object as a one-row table, or as a JSON object.
func printOne[R any](a *app, asJSON bool, r *R, header []string, row func(R) []string) error {
	if asJSON {
		return writeJSON(a.stdout, r)
	}
	return printList(a, false, []R{*r}, header, row)
}

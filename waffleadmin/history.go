package waffleadmin

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gowaffle/waffle"
)

// historyKinds are the kinds of the audit trail, in the filter's order.
var historyKinds = []string{"flag", "switch", "sample", "string_flag", "group", "window"}

// historyData is the history page: the audit trail's entries, newest first,
// a page at a time.
type historyData struct {
	Kind, Name, Actor string
	Kinds             []string
	Entries           []historyRow
	Next              int64
}

type historyRow struct {
	waffle.HistoryEntry
	BeforeText, AfterText string
	LinkPath, LinkKey     string // the object's page, when it has one
}

func (h *handler) history(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := historyData{Kind: q.Get("kind"), Name: q.Get("name"), Actor: q.Get("actor"), Kinds: historyKinds}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	entries, err := h.store.History(r.Context(), waffle.HistoryFilter{Kind: d.Kind, Name: d.Name, Actor: d.Actor,
		Before: max(before, 0), Limit: h.cfg.PageSize + 1})
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if len(entries) > h.cfg.PageSize {
		entries = entries[:h.cfg.PageSize]
		d.Next = entries[len(entries)-1].ID
	}
	for _, e := range entries {
		row := historyRow{HistoryEntry: e, BeforeText: jsonText(e.Before), AfterText: jsonText(e.After)}
		switch e.Kind {
		case "flag":
			row.LinkPath, row.LinkKey = "/flag", "name"
		case "group":
			row.LinkPath, row.LinkKey = "/group", "name"
		case "window":
			row.LinkPath, row.LinkKey = "/windows", "flag"
		}
		d.Entries = append(d.Entries, row)
	}
	title := "History"
	if d.Name != "" {
		title = "History of " + d.Name
	}
	h.render(w, r, 0, "history", title, "history", d)
}

// jsonText returns an entry's state as one "field: value" line per field,
// sorted, each value as compact JSON; "" for null or nothing.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return string(raw)
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		var c bytes.Buffer
		if err := json.Compact(&c, fields[k]); err != nil {
			c.Reset()
			c.Write(fields[k])
		}
		b.WriteString(k + ": " + c.String() + "\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

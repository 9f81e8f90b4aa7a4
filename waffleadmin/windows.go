package waffleadmin

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gowaffle/waffle"
)

// windowListData is the time windows of a flag or a user.
type windowListData struct {
	Flag, User string
	Windows    []waffle.FlagMember
	Now        time.Time
	More       bool
	Next       int64
}

func (h *handler) windowList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := windowListData{Flag: q.Get("flag"), User: q.Get("user"), Now: time.Now()}
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	ws, err := h.store.ListWindows(r.Context(), waffle.WindowFilter{Flag: d.Flag, User: d.User, AfterID: after, Limit: h.cfg.PageSize + 1})
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	if len(ws) > h.cfg.PageSize {
		ws = ws[:h.cfg.PageSize]
		d.More, d.Next = true, ws[len(ws)-1].ID
	}
	d.Windows = ws
	h.render(w, r, 0, "windows", "Time windows", "windows", d)
}

// windowForm is the add/edit form of a window, as typed.
type windowForm struct {
	ID                           int64
	Flag, User, Start, End, Note string
	Errors                       map[string]string
}

func (h *handler) windowForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := windowForm{Flag: q.Get("flag"), User: q.Get("user")}
	if id, _ := strconv.ParseInt(q.Get("id"), 10, 64); id > 0 {
		m, err := h.store.GetWindow(r.Context(), id)
		if err != nil {
			h.storeError(w, r, err)
			return
		}
		f = windowForm{ID: m.ID, Flag: m.Flag, User: m.User, Start: h.timeInput(m.Start), Note: m.Note}
		if m.End != nil {
			f.End = h.timeInput(*m.End)
		}
	}
	h.render(w, r, 0, "window", "Time window", "windows", f)
}

func (h *handler) windowSave(w http.ResponseWriter, r *http.Request) {
	pf := r.PostForm
	f := windowForm{Flag: pf.Get("flag"), User: strings.TrimSpace(pf.Get("user")), Start: pf.Get("start"),
		End: pf.Get("end"), Note: pf.Get("note"), Errors: map[string]string{}}
	f.ID, _ = strconv.ParseInt(pf.Get("id"), 10, 64)
	m := waffle.FlagMember{ID: f.ID, Flag: f.Flag, User: f.User, Note: f.Note}
	if strings.TrimSpace(f.Start) != "" {
		t, err := h.parseTimeInput(f.Start)
		if err != nil {
			f.Errors["start"] = err.Error()
		}
		m.Start = t
	}
	if strings.TrimSpace(f.End) != "" {
		t, err := h.parseTimeInput(f.End)
		if err != nil {
			f.Errors["end"] = err.Error()
		}
		m.End = &t
	}
	if len(f.Errors) == 0 {
		var err error
		if f.ID > 0 {
			_, err = h.store.UpdateWindow(r.Context(), m)
		} else {
			_, err = h.store.AddWindow(r.Context(), m)
		}
		if err == nil {
			h.redirect(w, r, "/windows", "flag", f.Flag, "done", "saved")
			return
		}
		msg, _, ok := userError(err)
		if !ok {
			h.serverError(w, r, err)
			return
		}
		f.Errors[windowField(err)] = msg
	}
	h.render(w, r, http.StatusBadRequest, "window", "Time window", "windows", f)
}

func windowField(err error) string {
	var ve *waffle.ValueError
	if errors.As(err, &ve) {
		switch ve.Field {
		case "end", "start", "user":
			return ve.Field
		}
		if strings.Contains(ve.Field, "user") {
			return "user"
		}
	}
	return "flag"
}

func (h *handler) windowDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
	m, err := h.store.GetWindow(r.Context(), id)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.render(w, r, 0, "confirm", "Delete time window", "windows", confirmData{Kind: "time window",
		Name: "#" + strconv.FormatInt(m.ID, 10) + " of " + m.User + " for " + m.Flag, Action: "/window/delete", Back: "/windows",
		Fields: map[string]string{"id": strconv.FormatInt(m.ID, 10), "flag": m.Flag}})
}

func (h *handler) windowDelete(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PostForm.Get("id"), 10, 64)
	if err := h.store.DeleteWindow(r.Context(), id); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/windows", "flag", r.PostForm.Get("flag"), "done", "deleted")
}

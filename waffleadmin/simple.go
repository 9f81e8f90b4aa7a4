package waffleadmin

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gowaffle/waffle"
)

// Switches, samples and string flags: a list with a form per row.

func (h *handler) switchList(w http.ResponseWriter, r *http.Request) {
	list, err := h.store.ListSwitches(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, 0, "switches", "Switches", "switches", list)
}

func (h *handler) switchSet(w http.ResponseWriter, r *http.Request) {
	if err := h.store.SetSwitch(r.Context(), strings.TrimSpace(r.PostForm.Get("name")), r.PostForm.Get("active") == "on"); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/switches", "done", "saved")
}

func (h *handler) switchDelete(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("name")
	if r.PostForm.Get("confirm") != "yes" {
		h.render(w, r, 0, "confirm", "Delete switch "+name, "switches",
			confirmData{Kind: "switch", Name: name, Action: "/switch/delete", Back: "/switches", Fields: map[string]string{"name": name, "confirm": "yes"}})
		return
	}
	if err := h.store.DeleteSwitch(r.Context(), name); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/switches", "done", "deleted")
}

func (h *handler) sampleList(w http.ResponseWriter, r *http.Request) {
	list, err := h.store.ListSamples(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, 0, "samples", "Samples", "samples", list)
}

func (h *handler) sampleSet(w http.ResponseWriter, r *http.Request) {
	p, err := strconv.ParseFloat(strings.TrimSpace(r.PostForm.Get("percent")), 64)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "The percent must be a number from 0 to 100.")
		return
	}
	if err := h.store.SetSample(r.Context(), strings.TrimSpace(r.PostForm.Get("name")), p); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/samples", "done", "saved")
}

func (h *handler) sampleDelete(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("name")
	if r.PostForm.Get("confirm") != "yes" {
		h.render(w, r, 0, "confirm", "Delete sample "+name, "samples",
			confirmData{Kind: "sample", Name: name, Action: "/sample/delete", Back: "/samples", Fields: map[string]string{"name": name, "confirm": "yes"}})
		return
	}
	if err := h.store.DeleteSample(r.Context(), name); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/samples", "done", "deleted")
}

func (h *handler) stringList(w http.ResponseWriter, r *http.Request) {
	list, err := h.store.ListStringFlags(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, 0, "strings", "String flags", "strings", list)
}

func (h *handler) stringSet(w http.ResponseWriter, r *http.Request) {
	var v any = r.PostForm.Get("value")
	if r.PostForm.Get("null") == "on" {
		v = nil
	}
	if err := h.store.Set(r.Context(), strings.TrimSpace(r.PostForm.Get("name")), v); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/strings", "done", "saved")
}

func (h *handler) stringDelete(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("name")
	if r.PostForm.Get("confirm") != "yes" {
		h.render(w, r, 0, "confirm", "Delete string flag "+name, "strings",
			confirmData{Kind: "string flag", Name: name, Action: "/string/delete", Back: "/strings", Fields: map[string]string{"name": name, "confirm": "yes"}})
		return
	}
	if err := h.store.DeleteStringFlag(r.Context(), name); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/strings", "done", "deleted")
}

// stringImport loads an uploaded JSON document through SetFromJSON: all of
// it, or nothing.
func (h *handler) stringImport(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("file")
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "Choose a JSON file to import.")
		return
	}
	defer file.Close()
	blob, err := io.ReadAll(file)
	if err != nil {
		h.fail(w, r, http.StatusBadRequest, "The file could not be read.")
		return
	}
	if err := h.store.SetFromJSON(r.Context(), blob); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/strings", "done", "imported")
}

// stringExport serves the document `waffle dump-json` prints: every string
// flag, name to value, null for NULL.
func (h *handler) stringExport(w http.ResponseWriter, r *http.Request) {
	list, err := h.store.ListStringFlags(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	m := make(map[string]*string, len(list))
	for _, f := range list {
		m[f.Name] = f.Value
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="string-flags.json"`)
	_, _ = w.Write(append(b, '\n'))
}

// Groups and their members.

func (h *handler) groupList(w http.ResponseWriter, r *http.Request) {
	list, err := h.store.ListGroups(r.Context())
	if err != nil {
		h.serverError(w, r, err)
		return
	}
	h.render(w, r, 0, "groups", "Groups", "groups", list)
}

type groupData struct {
	Name     string
	Sync     bool
	Members  waffle.UserList
	Q, After string
}

func (h *handler) groupPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := groupData{Name: q.Get("name"), Q: q.Get("uq"), After: q.Get("after")}
	d.Sync = strings.HasPrefix(d.Name, "WAFFLE_")
	members, err := h.store.GroupMemberPage(r.Context(), d.Name, waffle.UserPage{Search: d.Q, After: d.After, Limit: h.cfg.PageSize})
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	d.Members = members
	h.render(w, r, 0, "group", "Group "+d.Name, "groups", d)
}

func (h *handler) groupCreate(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimSpace(r.PostForm.Get("name"))
	if err := h.store.CreateGroup(r.Context(), name); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/group", "name", name, "done", "saved")
}

func (h *handler) groupMembers(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("name")
	var err error
	done := "added"
	if r.PostForm.Get("op") == "remove" {
		done = "removed"
		err = h.store.RemoveGroupMembers(r.Context(), name, r.PostForm["user"]...)
	} else {
		err = h.store.AddGroupMembers(r.Context(), name, splitIDs(r.PostForm.Get("users"))...)
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/group", "name", name, "done", done)
}

func (h *handler) groupDelete(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("name")
	if r.PostForm.Get("confirm") != "yes" {
		h.render(w, r, 0, "confirm", "Delete group "+name, "groups",
			confirmData{Kind: "group", Name: name, Action: "/group/delete", Back: "/groups", Fields: map[string]string{"name": name, "confirm": "yes"}})
		return
	}
	if err := h.store.DeleteGroup(r.Context(), name); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/groups", "done", "deleted")
}

package waffleadmin

import (
	"io/fs"
	"net/http"
)

// routes lists every page and action. Names travel in query parameters and
// form fields, never in the path, so that any name works under any mount.
func (h *handler) routes() {
	m := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	m.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { h.redirect(w, r, "/flags") })

	m.HandleFunc("GET /flags", h.flagList)
	m.HandleFunc("POST /flags/bulk", h.flagBulk)
	m.HandleFunc("GET /flag", h.flagPage)
	m.HandleFunc("GET /flag/new", h.flagNew)
	m.HandleFunc("POST /flag/save", h.flagSave)
	m.HandleFunc("POST /flag/users", h.flagUsers)
	m.HandleFunc("POST /flag/groups", h.flagGroups)
	m.HandleFunc("GET /flag/delete", h.flagDeleteConfirm)
	m.HandleFunc("POST /flag/delete", h.flagDelete)
	m.HandleFunc("POST /flag/sync", h.flagSync)

	m.HandleFunc("GET /windows", h.windowList)
	m.HandleFunc("GET /window", h.windowForm)
	m.HandleFunc("POST /window/save", h.windowSave)
	m.HandleFunc("GET /window/delete", h.windowDeleteConfirm)
	m.HandleFunc("POST /window/delete", h.windowDelete)

	m.HandleFunc("GET /switches", h.switchList)
	m.HandleFunc("POST /switch/set", h.switchSet)
	m.HandleFunc("POST /switch/delete", h.switchDelete)

	m.HandleFunc("GET /samples", h.sampleList)
	m.HandleFunc("POST /sample/set", h.sampleSet)
	m.HandleFunc("POST /sample/delete", h.sampleDelete)

	m.HandleFunc("GET /strings", h.stringList)
	m.HandleFunc("POST /string/set", h.stringSet)
	m.HandleFunc("POST /string/delete", h.stringDelete)
	m.HandleFunc("POST /strings/import", h.stringImport)
	m.HandleFunc("GET /strings/export", h.stringExport)

	m.HandleFunc("GET /groups", h.groupList)
	m.HandleFunc("GET /group", h.groupPage)
	m.HandleFunc("POST /group/create", h.groupCreate)
	m.HandleFunc("POST /group/members", h.groupMembers)
	m.HandleFunc("POST /group/delete", h.groupDelete)

	m.HandleFunc("GET /history", h.history)

	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		h.fail(w, r, http.StatusNotFound, "There is no such page in this admin.")
	})
	h.mux = m
}

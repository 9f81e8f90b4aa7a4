package waffleadmin

import "net/http"

// history is replaced by the audit trail's pages once it is merged.
func (h *handler) history(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, 0, "message", "History", "history", "The history needs the audit trail.")
}

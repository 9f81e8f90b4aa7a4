package waffleadmin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gowaffle/waffle"
)

// flagListData is the flag list page.
type flagListData struct {
	Flags                       []waffle.Flag
	Q, Everyone, Testing, Pct   string
	Sort, Dir                   string
	Page, Pages, Total, Showing int
	Columns                     []column
}

type column struct{ Key, Label string }

var flagColumns = []column{
	{"name", "Name"}, {"note", "Note"}, {"everyone", "Everyone"}, {"percent", "Percent"},
	{"testing", "Testing"}, {"superusers", "Superusers"}, {"staff", "Staff"},
	{"authenticated", "Authenticated"}, {"languages", "Languages"}, {"rollout", "Rollout"},
	{"created", "Created"}, {"modified", "Modified"},
}

func (h *handler) flagList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := flagListData{Q: q.Get("q"), Everyone: q.Get("everyone"), Testing: q.Get("testing"), Pct: q.Get("percent"),
		Sort: q.Get("sort"), Dir: q.Get("dir"), Columns: flagColumns}
	if d.Sort == "" {
		d.Sort = "name"
	}
	if d.Dir != "desc" {
		d.Dir = "asc"
	}
	if !validSort[d.Sort] {
		d.Sort = "name"
	}
	fq := waffle.FlagQuery{Search: d.Q, Everyone: d.Everyone, Testing: d.Testing, Percent: d.Pct,
		Sort: d.Sort, Desc: d.Dir == "desc", Limit: h.cfg.PageSize}
	d.Page, _ = strconv.Atoi(q.Get("page"))
	d.Page = max(d.Page, 1)
	fq.Offset = (d.Page - 1) * fq.Limit
	page, err := h.store.ListFlagPage(r.Context(), fq)
	if err == nil && len(page.Flags) == 0 && d.Page > 1 {
		// Past the end (the list shrank): show the last page.
		fq.Offset = 0
		if page, err = h.store.ListFlagPage(r.Context(), fq); err == nil && page.Total > 0 {
			d.Page = (page.Total + fq.Limit - 1) / fq.Limit
			fq.Offset = (d.Page - 1) * fq.Limit
			page, err = h.store.ListFlagPage(r.Context(), fq)
		}
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	d.Flags, d.Total = page.Flags, page.Total
	d.Pages = max(1, (d.Total+fq.Limit-1)/fq.Limit)
	d.Page = min(d.Page, d.Pages)
	d.Showing = len(d.Flags)
	h.render(w, r, 0, "flags", "Flags", "flags", d)
}

var validSort = map[string]bool{}

func init() {
	for _, c := range flagColumns {
		validSort[c.Key] = true
	}
}

// bulkData is the confirmation page of a bulk action.
type bulkData struct {
	Action, Label string
	Names         []string
}

var bulkLabels = map[string]string{
	"on": "Turn on for everyone", "off": "Turn off for everyone",
	"unset": "Unset everyone", "delete": "Delete",
}

// flagBulk confirms, then applies, one of django-waffle's admin actions to
// the flags ticked in the list.
func (h *handler) flagBulk(w http.ResponseWriter, r *http.Request) {
	action := r.PostForm.Get("action")
	names := r.PostForm["name"]
	label, ok := bulkLabels[action]
	if !ok {
		h.fail(w, r, http.StatusBadRequest, "Choose an action.")
		return
	}
	if len(names) == 0 {
		h.fail(w, r, http.StatusBadRequest, "Tick at least one flag.")
		return
	}
	if r.PostForm.Get("confirm") != "yes" {
		h.render(w, r, 0, "bulk", label, "flags", bulkData{Action: action, Label: label, Names: names})
		return
	}
	// Each flag changes in its own transaction, as django-waffle's actions
	// change each row; a flag deleted meanwhile is skipped.
	ctx := r.Context()
	for _, name := range names {
		var err error
		if action == "delete" {
			err = h.store.DeleteFlag(ctx, name)
		} else {
			err = h.setEveryone(r, name, action)
		}
		if err != nil && !errors.Is(err, waffle.ErrNotFound) {
			h.storeError(w, r, err)
			return
		}
	}
	h.redirect(w, r, "/flags", "done", "bulk")
}

// setEveryone sets a flag's Everyone field, leaving the rest as it is.
func (h *handler) setEveryone(r *http.Request, name, action string) error {
	f, err := h.store.GetFlagRules(r.Context(), name)
	if err != nil {
		return err
	}
	switch action {
	case "on", "off":
		v := action == "on"
		f.Everyone = &v
	default:
		f.Everyone = nil
	}
	return h.store.SaveFlagRules(r.Context(), f)
}

// flagForm is the flag edit page's form: the values as typed, and an error
// per field.
type flagForm struct {
	New                                                bool
	Name, Everyone, Percent, Languages, Note           string
	Testing, Superusers, Staff, Authenticated, Rollout bool
	RampMode, RampPoints                               string
	Errors                                             map[string]string
}

// flagPageData is the flag page.
type flagPageData struct {
	Form     flagForm
	Flag     *waffle.Flag
	Users    waffle.UserList
	UserQ    string
	After    string
	Sync     string
	Windows  int
	AllGroup []string
}

func formFromFlag(f *waffle.Flag, loc *time.Location) flagForm {
	ff := flagForm{Name: f.Name, Everyone: "unset", Note: f.Note, Testing: f.Testing, Superusers: f.Superusers,
		Staff: f.Staff, Authenticated: f.Authenticated, Rollout: f.Rollout, Languages: strings.Join(f.Languages, ", ")}
	if f.Everyone != nil {
		ff.Everyone = map[bool]string{true: "on", false: "off"}[*f.Everyone]
	}
	if f.Percent != nil {
		ff.Percent = strconv.FormatFloat(*f.Percent, 'f', -1, 64)
	}
	if f.Ramp != nil {
		ff.RampMode = string(f.Ramp.Mode)
		if ff.RampMode == "" {
			ff.RampMode = string(waffle.RampLinear)
		}
		var b strings.Builder
		for _, p := range f.Ramp.Points {
			b.WriteString(p.At.In(loc).Format(inputLayout) + " " + strconv.FormatFloat(p.Percent, 'f', -1, 64) + "\n")
		}
		ff.RampPoints = b.String()
	}
	return ff
}

func (h *handler) flagNew(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, 0, "flag", "New flag", "flags", flagPageData{Form: flagForm{New: true, Everyone: "unset"}})
}

func (h *handler) flagPage(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	f, err := h.store.GetFlagRules(r.Context(), name)
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.showFlag(w, r, 0, f, formFromFlag(f, h.loc))
}

// showFlag renders the flag page with form, reading a page of users.
func (h *handler) showFlag(w http.ResponseWriter, r *http.Request, status int, f *waffle.Flag, form flagForm) {
	q := r.URL.Query()
	d := flagPageData{Form: form, Flag: f, UserQ: q.Get("uq"), After: q.Get("after")}
	users, err := h.store.FlagUsers(r.Context(), f.Name, waffle.UserPage{Search: d.UserQ, After: d.After, Limit: h.cfg.PageSize})
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	d.Users = users
	h.render(w, r, status, "flag", "Flag "+f.Name, "flags", d)
}

// flagSave creates or updates a flag from the edit form. Invalid input shows
// the form again, as typed, with the error beside its field.
func (h *handler) flagSave(w http.ResponseWriter, r *http.Request) {
	pf := r.PostForm
	form := flagForm{New: pf.Get("new") == "1", Name: pf.Get("name"), Everyone: pf.Get("everyone"),
		Percent: strings.TrimSpace(pf.Get("percent")), Languages: pf.Get("languages"), Note: pf.Get("note"),
		Testing: pf.Get("testing") == "on", Superusers: pf.Get("superusers") == "on", Staff: pf.Get("staff") == "on",
		Authenticated: pf.Get("authenticated") == "on", Rollout: pf.Get("rollout") == "on",
		RampMode: pf.Get("ramp_mode"), RampPoints: pf.Get("ramp_points"), Errors: map[string]string{}}
	ctx := r.Context()

	var f *waffle.Flag
	if form.New {
		if err := waffle.ValidateName("flag", form.Name); err != nil {
			form.Errors["name"] = err.Error()
		} else if _, err := h.store.GetFlagRules(ctx, form.Name); err == nil {
			form.Errors["name"] = "A flag with this name exists already."
		} else if _, _, ok := userError(err); !ok {
			h.serverError(w, r, err)
			return
		}
		f = &waffle.Flag{Name: form.Name}
	} else {
		var err error
		if f, err = h.store.GetFlagRules(ctx, form.Name); err != nil {
			h.storeError(w, r, err)
			return
		}
	}
	switch form.Everyone {
	case "on", "off":
		v := form.Everyone == "on"
		f.Everyone = &v
	case "unset", "":
		f.Everyone = nil
	default:
		form.Errors["everyone"] = "Choose on, off or unset."
	}
	f.Percent = nil
	if form.Percent != "" {
		p, err := strconv.ParseFloat(form.Percent, 64)
		if err != nil || p < 0 || p > 100 {
			form.Errors["percent"] = "Enter a number from 0 to 100, or leave it empty."
		} else {
			f.Percent = &p
		}
	}
	f.Languages = nil
	for _, l := range strings.FieldsFunc(form.Languages, func(r rune) bool { return r == ',' || r == ' ' }) {
		f.Languages = append(f.Languages, l)
	}
	f.Note, f.Testing, f.Superusers, f.Staff, f.Authenticated, f.Rollout =
		form.Note, form.Testing, form.Superusers, form.Staff, form.Authenticated, form.Rollout
	ramp, rampErr := h.parseRamp(form.RampMode, form.RampPoints)
	if rampErr != "" {
		form.Errors["ramp"] = rampErr
	}
	f.Ramp = ramp
	if len(form.Errors) == 0 {
		err := h.store.SaveFlagRules(ctx, f)
		if err == nil {
			h.redirect(w, r, "/flag", "name", f.Name, "done", "saved")
			return
		}
		msg, _, ok := userError(err)
		if !ok {
			h.serverError(w, r, err)
			return
		}
		form.Errors[fieldOf(err)] = msg
	}
	if form.New {
		h.render(w, r, http.StatusBadRequest, "flag", "New flag", "flags", flagPageData{Form: form})
		return
	}
	h.showFlag(w, r, http.StatusBadRequest, f, form)
}

// fieldOf names the form field a store error is about.
func fieldOf(err error) string {
	var ve *waffle.ValueError
	if errors.As(err, &ve) {
		switch ve.Field {
		case "percent", "languages", "ramp":
			return ve.Field
		}
	}
	return "name"
}

// parseRamp reads the ramp fields: a mode and one "date-time percent" line per
// point, in the configured location.
func (h *handler) parseRamp(mode, points string) (*waffle.Ramp, string) {
	if mode == "" || mode == "none" {
		return nil, ""
	}
	if mode != string(waffle.RampLinear) && mode != string(waffle.RampSteps) {
		return nil, "Choose none, linear or steps."
	}
	ramp := &waffle.Ramp{Mode: waffle.RampMode(mode)}
	for i, line := range strings.Split(points, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(fields) != 2 {
			return nil, "Line " + strconv.Itoa(i+1) + ": write a date-time and a percent, such as 2026-01-31T09:30 25."
		}
		at, err := h.parseTimeInput(fields[0])
		if err != nil {
			return nil, "Line " + strconv.Itoa(i+1) + ": " + err.Error() + "."
		}
		p, err := strconv.ParseFloat(fields[1], 64)
		if err != nil {
			return nil, "Line " + strconv.Itoa(i+1) + ": the percent is not a number."
		}
		ramp.Points = append(ramp.Points, waffle.RampPoint{At: at, Percent: p})
	}
	return ramp, ""
}

// splitIDs reads user IDs or names typed one per line (or separated by
// commas).
func splitIDs(s string) []string {
	var out []string
	for _, v := range strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' || r == ',' }) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// flagUsers adds the typed users to a flag, or removes the ticked ones.
func (h *handler) flagUsers(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("name")
	var err error
	done := "added"
	if r.PostForm.Get("op") == "remove" {
		done = "removed"
		err = h.store.RemoveFlagUsers(r.Context(), name, r.PostForm["user"]...)
	} else {
		err = h.store.AddFlagUsers(r.Context(), name, splitIDs(r.PostForm.Get("users"))...)
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/flag", "name", name, "done", done)
}

// flagGroups adds the typed groups to a flag, or removes the ticked ones.
func (h *handler) flagGroups(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("name")
	var err error
	done := "added"
	if r.PostForm.Get("op") == "remove" {
		done = "removed"
		err = h.store.RemoveFlagGroups(r.Context(), name, r.PostForm["group"]...)
	} else {
		err = h.store.AddFlagGroups(r.Context(), name, splitIDs(r.PostForm.Get("groups"))...)
	}
	if err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/flag", "name", name, "done", done)
}

// confirmData is a delete confirmation page.
type confirmData struct {
	Kind, Name, Action, Back string
	Fields                   map[string]string
}

func (h *handler) flagDeleteConfirm(w http.ResponseWriter, r *http.Request) {
	name := r.URL.Query().Get("name")
	if _, err := h.store.GetFlagRules(r.Context(), name); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.render(w, r, 0, "confirm", "Delete flag "+name, "flags",
		confirmData{Kind: "flag", Name: name, Action: "/flag/delete", Back: "/flag?name=" + url.QueryEscape(name), Fields: map[string]string{"name": name}})
}

func (h *handler) flagDelete(w http.ResponseWriter, r *http.Request) {
	if err := h.store.DeleteFlag(r.Context(), r.PostForm.Get("name")); err != nil {
		h.storeError(w, r, err)
		return
	}
	h.redirect(w, r, "/flags", "done", "deleted")
}

// syncData is the result page of "sync now".
type syncData struct {
	Flag    string
	Result  waffle.FlagSync
	At      time.Time
	Members []string
}

// flagSync runs SyncMembership for one flag and shows what it did.
func (h *handler) flagSync(w http.ResponseWriter, r *http.Request) {
	name := r.PostForm.Get("name")
	res, err := h.store.SyncMembership(r.Context(), name)
	if len(res.Flags) != 1 {
		if err == nil {
			err = &waffle.NotFoundError{Kind: "flag", Name: name}
		}
		h.storeError(w, r, err)
		return
	}
	d := syncData{Flag: name, Result: res.Flags[0], At: res.At}
	if d.Result.Err != nil {
		h.storeError(w, r, d.Result.Err)
		return
	}
	if members, err := h.store.GroupMembers(r.Context(), waffle.SyncGroupName(name)); err == nil {
		d.Members = members
	}
	h.render(w, r, 0, "sync", "Sync "+name, "windows", d)
}

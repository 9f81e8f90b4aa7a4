package waffle

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"net/http"
)

// JSHandler returns a handler that serves django-waffle's wafflejs: a script
// that defines window.waffle with flag_is_active, switch_is_active and
// sample_is_active, and the maps FLAGS, SWITCHES and SAMPLES. Every flag is
// evaluated for the request, with its cookies (the handler runs
// [Store.Middleware] itself when none is in front of it); each sample is drawn
// once for the script; a name that does not exist answers its Config default.
// The response is application/javascript and never cached; a failed read is
// logged through Config.Logger and answered with a plain 500.
//
//	mux.Handle("GET /wafflejs", store.JSHandler()) // <script src="/wafflejs"></script>
//
// To inline the script in a page instead, use [Store.JS] or the FuncMap's
// wafflejs.
func (s *Store) JSHandler() http.Handler {
	return s.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		js, err := s.JS(r.Context())
		if err != nil {
			s.serverError(w, r, "making wafflejs", err)
			return
		}
		neverCache(w.Header(), s.cfg.Now())
		w.Header().Set("Content-Type", "application/javascript; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write([]byte(js))
	}))
}

// JS returns the script [Store.JSHandler] serves, with every flag evaluated
// for the request in ctx (see [Store.Middleware]). It is safe to place inside
// an HTML <script> element, and html/template inserts a [template.JS] as it
// is:
//
//	<script>{{wafflejs}}</script>
//
// Names are written as JSON strings in which <, >, &, U+2028 and U+2029 are
// escaped, so no name can end the script element or the string
// (django-waffle escapes them for HTML instead, which breaks names with a
// quote). The maps have no prototype and lookups check own properties, so
// names such as "constructor" or "__proto__" are ordinary names.
func (s *Store) JS(ctx context.Context) (template.JS, error) {
	snap, err := s.list(ctx)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	b.WriteString("(function(){\n  var has = Object.prototype.hasOwnProperty,\n    FLAGS = ")
	writeJSMap(&b, snap.flags)
	b.WriteString(",\n    SWITCHES = ")
	writeJSMap(&b, snap.switches)
	b.WriteString(",\n    SAMPLES = ")
	writeJSMap(&b, snap.samples)
	b.WriteString(";\n  function lookup(map, name, dflt) {\n    return has.call(map, name) ? map[name] : dflt;\n  }\n")
	b.WriteString("  window.waffle = {\n")
	b.WriteString("    \"flag_is_active\": function waffle_flag(flag_name) {\n      return lookup(FLAGS, flag_name, " + jsBool(s.cfg.FlagDefault) + ");\n    },\n")
	b.WriteString("    \"switch_is_active\": function waffle_switch(switch_name) {\n      return lookup(SWITCHES, switch_name, " + jsBool(s.cfg.SwitchDefault) + ");\n    },\n")
	b.WriteString("    \"sample_is_active\": function waffle_sample(sample_name) {\n      return lookup(SAMPLES, sample_name, " + jsBool(s.cfg.SampleDefault) + ");\n    },\n")
	b.WriteString("    \"FLAGS\": FLAGS,\n    \"SWITCHES\": SWITCHES,\n    \"SAMPLES\": SAMPLES\n  };\n})();\n")
	return template.JS(b.String()), nil
}

// writeJSMap writes entries as an object literal without a prototype whose
// keys are computed from JSON strings: {__proto__: null, ["a"]: true}. A
// computed key never sets the prototype, even when it is "__proto__".
func writeJSMap(b *bytes.Buffer, entries []statusEntry) {
	b.WriteString("{__proto__: null")
	for _, e := range entries {
		b.WriteString(", [")
		b.Write(jsString(e.name))
		b.WriteString("]: ")
		b.WriteString(jsBool(e.active))
	}
	b.WriteString("}")
}

// jsString returns s as a JSON string, which is a JavaScript string literal
// too. encoding/json escapes <, > and & (so "</script>" and "<!--" cannot
// appear) and U+2028 and U+2029 (line terminators in older JavaScript), and
// replaces invalid UTF-8, which names never hold.
func jsString(s string) []byte {
	out, err := json.Marshal(s)
	if err != nil { // a string always marshals
		return []byte(`""`)
	}
	return out
}

func jsBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// Package browsertest drives web pages that waffle serves in a real browser
// (Debian's Chromium through chromedp), in a module of its own so that
// chromedp stays out of the library's go.mod. scripts/ensure-chromium
// installs the browser; without it the tests skip, except under CI=true,
// where they fail.
package browsertest
